package io.synapse.multi;

/** Reads a toggle file; used by one poller thread at a time. */
interface ToggleReader extends AutoCloseable {
    /**
     * Reads the file.
     *
     * @param etag the tag of the last read, or null
     * @return the text and its tag, or null when the source says it has not changed since {@code etag}
     * @throws ToggleReadException saying why it could not be read
     */
    Fetched read(String etag) throws ToggleReadException;

    @Override
    void close();

    /** @param etag the source's version tag (S3's ETag), or null */
    record Fetched(String text, String etag) {}

    /** A read failed; the message says why, for log lines and the engine. */
    final class ToggleReadException extends Exception {
        ToggleReadException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}

package io.synapse.multi;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import static java.util.Objects.requireNonNull;

/**
 * Reads a local toggle file whole on every poll (it is a few bytes): the text is compared, not the
 * modification time, so an edit within the same second, a file replaced by rename and a ConfigMap's
 * symlink swap are all seen.
 */
final class FileToggleReader implements ToggleReader {
    private static final long MAX_BYTES = 64 * 1024;
    private final Path path;

    FileToggleReader(Path path) {
        this.path = requireNonNull(path, "path is null");
    }

    @Override
    public Fetched read(String etag) throws ToggleReadException {
        try {
            if (Files.size(path) > MAX_BYTES) {
                throw new ToggleReadException("larger than " + MAX_BYTES + " bytes", null);
            }
            byte[] bytes = Files.readAllBytes(path);
            return new Fetched(StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString(), null);
        } catch (NoSuchFileException e) {
            throw new ToggleReadException("no such file", e);
        } catch (CharacterCodingException e) {
            throw new ToggleReadException("not UTF-8 text", e);
        } catch (IOException e) {
            throw new ToggleReadException("cannot read: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {}
}

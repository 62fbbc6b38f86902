package io.synapse.multi;

import io.synapse.common.aws.AwsAccess;
import java.nio.file.Path;
import java.time.Duration;

import static java.util.Objects.requireNonNull;

/**
 * Where a toggle file is read from and how often: the key of a shared {@link TogglePoller}, so that
 * services using the same file (and credentials) read it once per interval between them.
 */
sealed interface ToggleSpec {
    Duration interval();

    /** For log lines and messages: {@code s3://bucket/key} or the file's path. */
    String describe();

    /** Opens a reader; it must not touch the network or the disk before its first read. */
    ToggleReader open();

    /**
     * {@code s3_toggle}: an S3 object.
     *
     * @param access region, credentials and endpoint override (S3-compatible stores, test
     *     emulators: path-style addressing then)
     */
    record S3(String bucket, String key, Duration interval, AwsAccess access) implements ToggleSpec {
        public S3 {
            requireNonNull(bucket, "bucket is null");
            requireNonNull(key, "key is null");
            requireNonNull(interval, "interval is null");
            requireNonNull(access, "access is null");
        }

        @Override
        public String describe() {
            return "s3://" + bucket + "/" + key;
        }

        @Override
        public ToggleReader open() {
            return new S3ToggleReader(this);
        }
    }

    /** {@code file_toggle}: a local file (a mounted ConfigMap, a file an operator edits). */
    record File(Path path, Duration interval) implements ToggleSpec {
        public File {
            requireNonNull(path, "path is null");
            requireNonNull(interval, "interval is null");
        }

        @Override
        public String describe() {
            return path.toString();
        }

        @Override
        public ToggleReader open() {
            return new FileToggleReader(path);
        }
    }
}

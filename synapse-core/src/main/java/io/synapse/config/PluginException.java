package io.synapse.config;

/**
 * The installed plugins cannot be used: one failed to load, or two have the same name. The message
 * says which, naming the jars; {@code bin/synapse} prints it and exits with status 2.
 */
public final class PluginException extends IllegalStateException {
    public PluginException(String message) {
        super(message);
    }

    public PluginException(String message, Throwable cause) {
        super(message, cause);
    }
}

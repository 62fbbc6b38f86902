package io.synapse.common.status;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;

/**
 * What a daemon tells its {@link StatusServer}. Called on the server's one thread, so each call
 * should take a consistent snapshot quickly (no I/O).
 */
public interface StatusSource {
    /** The {@code /status} document. */
    JsonNode status();

    /**
     * Why the daemon is not healthy, one reason per line ({@code "service api: watcher failing:
     * ..."}); empty when every watcher or check loop is running.
     */
    List<String> unhealthy();

    /** The status page ({@code /}), a whole HTML document; see {@link HtmlPage}. */
    String html();
}

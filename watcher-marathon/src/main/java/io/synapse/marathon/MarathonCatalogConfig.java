package io.synapse.marathon;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A {@code catalogs.<name>} section with {@code "method": "marathon"} (less {@code method} and the
 * generator defaults such as {@code haproxy}, which the engine handles).
 *
 * @param marathonApiUrl a URL or a list of URLs, tried in turn; the path of a URL is where the API
 *     is served ({@code https://master/service/marathon}); {@code user:password@} logs in
 * @param credentials {@code user:password} for HTTP basic auth (for URLs without their own)
 * @param group the {@code HAPROXY_GROUP} (or a list of groups) whose apps become services;
 *     {@code "*"} takes every app
 * @param checkInterval seconds between full reads while the event stream is down (default 10)
 */
public record MarathonCatalogConfig(JsonNode marathonApiUrl, String credentials, JsonNode group, Double checkInterval) {
    @Override
    public String toString() {
        return "MarathonCatalogConfig[marathonApiUrl=" + (marathonApiUrl == null ? null : marathonApiUrl.toString().replaceAll("//[^/@\"]*@", "//***@"))
                + ", credentials=" + (credentials == null ? "null" : "***") + ", group=" + group + ", checkInterval=" + checkInterval + "]";
    }
}

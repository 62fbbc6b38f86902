package io.synapse.marathon;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The {@code discovery} section of a service using {@code "method": "marathon"}: the Ruby
 * watcher's keys plus a list of URLs and credentials. Absent keys are {@code null}; {@link
 * MarathonWatcherFactory} applies the defaults and checks the values.
 *
 * @param marathonApiUrl a URL ({@code http://marathon:8080}) or a list of them, tried in turn;
 *     {@code http://user:password@host:8080} logs in with HTTP basic auth
 * @param applicationName the Marathon app ({@code nginx2} or {@code /group/app})
 * @param checkInterval seconds between full reads while the event stream is down (default 10)
 * @param portIndex which of a task's ports is the backend's (default 0)
 * @param marathonApiPath the task list's path, joined with each URL as the Ruby watcher does
 *     (default {@code /v2/apps/%{app}/tasks}); a path ending in that (say {@code
 *     /marathon/v2/apps/%{app}/tasks}) means Marathon's API is served under the part before it
 * @param credentials {@code user:password} for HTTP basic auth (for URLs without their own)
 */
public record MarathonConfig(
        JsonNode marathonApiUrl,
        String applicationName,
        Double checkInterval,
        Integer portIndex,
        String marathonApiPath,
        String credentials) {

    @Override
    public String toString() {
        // never print a password
        return "MarathonConfig[marathonApiUrl=" + (marathonApiUrl == null ? null : marathonApiUrl.toString().replaceAll("//[^/@\"]*@", "//***@"))
                + ", applicationName=" + applicationName + ", checkInterval=" + checkInterval + ", portIndex=" + portIndex
                + ", marathonApiPath=" + marathonApiPath + ", credentials=" + (credentials == null ? "null" : "***") + "]";
    }
}

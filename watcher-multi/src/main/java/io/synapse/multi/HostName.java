package io.synapse.multi;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** This host's name, looked up once: it makes a toggle's weighted pick stable per host. */
final class HostName {
    private static volatile String name;

    private HostName() {}

    static String get() {
        String n = name;
        if (n == null) {
            n = System.getenv("HOSTNAME");
            if (n == null || n.isBlank()) {
                try {
                    n = InetAddress.getLocalHost().getHostName();
                } catch (UnknownHostException e) {
                    n = "localhost";
                }
            }
            name = n;
        }
        return n;
    }
}

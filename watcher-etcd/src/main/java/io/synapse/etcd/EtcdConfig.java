package io.synapse.etcd;

import java.util.List;

/**
 * The {@code discovery} section of a service using {@code "method": "etcd"} (without {@code method}
 * and the label filters, which the engine handles). Absent keys are {@code null}; {@link
 * EtcdWatcherFactory} applies the defaults and {@link EtcdWatcherFactory#validate} checks the rest.
 *
 * @param endpoints client URLs of the cluster's members, e.g. {@code http://10.0.0.1:2379}
 * @param path the key prefix (a directory: a trailing {@code /} is implied)
 * @param decode how a key/value pair becomes a backend; {@code nerve} when absent
 * @param caFile PEM file of the CA that signed the members' certificates (https endpoints)
 * @param certFile PEM client certificate for client-certificate authentication
 * @param keyFile PEM private key of {@code certFile} (PKCS#8, or PKCS#1 RSA)
 * @param user etcd user name (etcd authentication)
 * @param password the user's password
 */
public record EtcdConfig(
        List<String> endpoints,
        String path,
        Decode decode,
        String caFile,
        String certFile,
        String keyFile,
        String user,
        String password) {

    /**
     * {@code decode}: {@code {"method": "nerve"}} (default), {@code {"method": "json", "host_field":
     * "IP", "port_field": "EXT_PORT", "name_field": "ID"}} or {@code {"method": "key"}}.
     */
    public record Decode(String method, String hostField, String portField, String nameField, String weightField) {}

    @Override
    public String toString() {
        // never print the password
        return "EtcdConfig[endpoints=" + endpoints + ", path=" + path + ", decode=" + decode + ", caFile=" + caFile
                + ", certFile=" + certFile + ", keyFile=" + keyFile + ", user=" + user
                + ", password=" + (password == null ? "null" : "***") + "]";
    }
}

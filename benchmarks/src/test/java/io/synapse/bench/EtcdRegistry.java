package io.synapse.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.support.CloseableClient;
import io.grpc.stub.StreamObserver;
import io.synapse.common.etcd.EtcdClients;
import io.synapse.common.registry.NerveRegistration;
import io.synapse.etcd.EtcdWatcherFactory;
import io.synapse.spi.WatcherFactory;
import io.synapse.testing.EtcdCluster;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A real 3-member etcd cluster ({@link EtcdCluster}, the etcd binary); hosts use the {@code etcd}
 * watcher, writers put nerve's JSON under {@code <path>/<instance>_<service>} attached to a kept-alive
 * lease, as nerve's etcd reporter does. Everything is counted server-side, from each member's
 * {@code /metrics}: gRPC calls by method ({@code Range} are reads), watch messages sent, bytes
 * sent, watchers, CPU and memory.
 */
final class EtcdRegistry implements Registry {
    static final String ROOT = "/fleet";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final EtcdCluster cluster;
    private final List<Client> writers = new ArrayList<>();
    private final List<Long> leases = new ArrayList<>();
    private final List<CloseableClient> keepAlives = new ArrayList<>();
    private final Client admin;
    private final Map<Integer, EtcdClients> pools = new ConcurrentHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final boolean[] down;

    EtcdRegistry(int writerClients) throws Exception {
        cluster = EtcdCluster.start(3);
        down = new boolean[cluster.size()];
        admin = Client.builder().endpoints(cluster.endpoints().toArray(String[]::new)).build();
        for (int i = 0; i < writerClients; i++) {
            Client c = Client.builder().endpoints(cluster.endpoints().toArray(String[]::new)).build();
            long lease = c.getLeaseClient().grant(60).get(30, TimeUnit.SECONDS).getID();
            keepAlives.add(c.getLeaseClient().keepAlive(lease, new StreamObserver<LeaseKeepAliveResponse>() {
                @Override
                public void onNext(LeaseKeepAliveResponse value) {}

                @Override
                public void onError(Throwable t) {}

                @Override
                public void onCompleted() {}
            }));
            writers.add(c);
            leases.add(lease);
        }
    }

    @Override
    public String name() {
        return "etcd";
    }

    @Override
    public int members() {
        return cluster.size();
    }

    @Override
    public ObjectNode discovery(String service) {
        ObjectNode d = MAPPER.createObjectNode();
        d.put("method", "etcd");
        cluster.endpoints().forEach(d.putArray("endpoints")::add);
        d.put("path", ROOT + "/" + service);
        return d;
    }

    @Override
    public WatcherFactory<?> hostFactory(int host) {
        EtcdClients pool = EtcdWatcherFactory.newClients();
        pools.put(host, pool);
        return new EtcdWatcherFactory(pool);
    }

    @Override
    public void hostStarted(int host) {
        // counted server-side
    }

    @Override
    public ClientCounts clientCounts() {
        return null;
    }

    @Override
    public String register(String service, NerveRegistration registration) throws Exception {
        int w = Math.floorMod((service + registration.name()).hashCode(), writers.size());
        String key = ROOT + "/" + service + "/" + registration.name() + "_" + service;
        writers.get(w).getKVClient().put(bytes(key), ByteSequence.from(registration.toJson()),
                PutOption.builder().withLeaseId(leases.get(w)).build()).get(30, TimeUnit.SECONDS);
        return w + ":" + key;
    }

    @Override
    public void deregister(String service, String handle) throws Exception {
        int colon = handle.indexOf(':');
        writers.get(Integer.parseInt(handle.substring(0, colon))).getKVClient()
                .delete(bytes(handle.substring(colon + 1))).get(30, TimeUnit.SECONDS);
    }

    @Override
    public Map<String, Set<String>> contents(Iterable<String> services) throws Exception {
        Map<String, Set<String>> out = new LinkedHashMap<>();
        for (String service : services) {
            Set<String> ids = new TreeSet<>();
            String prefix = ROOT + "/" + service + "/";
            for (KeyValue kv : admin.getKVClient().get(bytes(prefix), GetOption.builder().isPrefix(true).build())
                    .get(30, TimeUnit.SECONDS).getKvs()) {
                NerveRegistration r = NerveRegistration.parse(kv.getValue().getBytes());
                ids.add(r.host() + ":" + r.port());
            }
            out.put(service, ids);
        }
        return out;
    }

    @Override
    public ServerSample sample() {
        List<Map<String, Double>> members = new ArrayList<>();
        for (int i = 0; i < cluster.size(); i++) {
            members.add(down[i] ? Map.of() : metrics(i));
        }
        return new ServerSample(members);
    }

    /** The interesting values of member {@code i}'s /metrics; empty when it does not answer. */
    Map<String, Double> metrics(int i) {
        Map<String, Double> out = new LinkedHashMap<>();
        String text;
        try {
            text = http.send(HttpRequest.newBuilder(URI.create(cluster.endpoint(i) + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return out;
        }
        for (String line : text.split("\n")) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            String series = line.substring(0, space);
            double value;
            try {
                value = Double.parseDouble(line.substring(space + 1));
            } catch (NumberFormatException e) {
                continue;
            }
            String name = series.contains("{") ? series.substring(0, series.indexOf('{')) : series;
            String method = label(series, "grpc_method");
            String key = switch (name) {
                case "grpc_server_handled_total" -> method == null ? null : "calls_" + method;
                case "grpc_server_started_total" -> "Watch".equals(method) ? "watch_streams_opened" : null;
                case "grpc_server_msg_sent_total" -> "Watch".equals(method) ? "watch_messages_sent" : null;
                case "grpc_server_msg_received_total" -> "Watch".equals(method) ? "watch_requests_received" : null;
                case "etcd_network_client_grpc_sent_bytes_total" -> "bytes_sent";
                case "etcd_network_client_grpc_received_bytes_total" -> "bytes_received";
                case "etcd_debugging_mvcc_watcher_total" -> "watchers";
                case "etcd_debugging_mvcc_watch_stream_total" -> "watch_streams";
                case "etcd_debugging_mvcc_slow_watcher_total" -> "slow_watchers";
                case "etcd_debugging_mvcc_pending_events_total" -> "pending_events";
                case "process_cpu_seconds_total" -> "cpu_seconds";
                case "process_resident_memory_bytes" -> "rss";
                case "go_memstats_heap_inuse_bytes" -> "heap_inuse";
                case "etcd_server_is_leader" -> "is_leader";
                default -> null;
            };
            if (key != null) {
                out.merge(key, value, Double::sum);
            }
        }
        return out;
    }

    private static String label(String series, String label) {
        int at = series.indexOf(label + "=\"");
        if (at < 0) {
            return null;
        }
        int start = at + label.length() + 2;
        return series.substring(start, series.indexOf('"', start));
    }

    @Override
    public int leader() {
        for (int i = 0; i < cluster.size(); i++) {
            if (!down[i] && metrics(i).getOrDefault("is_leader", 0.0) == 1.0) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public int busiestFollower() {
        int leader = leader();
        int best = -1;
        double most = -1;
        for (int i = 0; i < cluster.size(); i++) {
            double c = metrics(i).getOrDefault("watch_streams", 0.0);
            if (i != leader && c > most) {
                most = c;
                best = i;
            }
        }
        return best;
    }

    @Override
    public void kill(int member) {
        down[member] = true;
        cluster.kill(member);
    }

    @Override
    public void restart(int member) {
        cluster.restart(member);
        down[member] = false;
    }

    @Override
    public void close() {
        keepAlives.forEach(CloseableClient::close);
        writers.forEach(Client::close);
        admin.close();
        pools.values().forEach(EtcdClients::close);
        cluster.close();
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }
}

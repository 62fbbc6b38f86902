package io.synapse.nerve;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.options.PutOption;
import io.synapse.common.concurrent.SharedResources.Lease;
import io.synapse.common.etcd.EtcdClients;
import io.synapse.common.etcd.EtcdConnection;
import io.synapse.common.etcd.SharedEtcdClient;
import io.synapse.common.registry.NerveRegistration;
import io.synapse.common.tls.TlsFiles.TlsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import static java.util.Objects.requireNonNull;

/**
 * A service's etcd v3 registration: key {@code <etcd_path>/<instance_id>_<service>} holding
 * {@link NerveRegistration#toJson()}, attached to a lease of {@link #ttlSeconds} that this reporter
 * keeps alive while the service is up. Down deletes the key and revokes the lease; the keep-alive
 * only refreshes the lease, so it can never bring a down service's key back. If the lease is lost
 * (etcd unreachable for longer than the TTL), the next keep-alive notices and the key is put again
 * under a new lease. A killed nerve's keys expire with the lease. {@link #reset()} starts afresh:
 * a new client (a new gRPC channel, which does not wait out the old one's reconnect backoff) and a
 * new lease on the next report.
 */
final class EtcdReporter implements Reporter {
    private static final Logger log = LoggerFactory.getLogger(EtcdReporter.class);
    static final long OPERATION_TIMEOUT_MS = 3_000;
    static final long CLOSE_TIMEOUT_MS = 500;

    private final String service;
    private final EtcdClients clients;
    private final ReporterTarget.Etcd target;
    private final ByteSequence key;
    private final ByteSequence value;
    private final long ttlSeconds;
    private final ScheduledExecutorService scheduler;
    private final Runnable onDrift;
    private final AtomicLong leaseId = new AtomicLong();
    private volatile ScheduledFuture<?> keepAlive;
    private volatile boolean closed;
    // the shared client; null after a failed renewal (the next report acquires one)
    private volatile Lease<EtcdConnection, SharedEtcdClient> shared;

    EtcdReporter(String service, EtcdClients clients, ReporterTarget.Etcd target, NerveRegistration registration,
                 Duration checkInterval, ScheduledExecutorService scheduler, Runnable onDrift) {
        this.service = requireNonNull(service, "service is null");
        this.clients = requireNonNull(clients, "clients is null");
        this.target = requireNonNull(target, "target is null");
        this.scheduler = requireNonNull(scheduler, "scheduler is null");
        this.onDrift = requireNonNull(onDrift, "onDrift is null");
        this.key = ByteSequence.from(keyFor(target, registration.name(), service), StandardCharsets.UTF_8);
        this.value = ByteSequence.from(registration.toJson());
        this.ttlSeconds = ttlSeconds(checkInterval);
        try {
            this.shared = clients.acquire(target.connection());
        } catch (TlsException e) {
            throw new IllegalStateException("etcd TLS setup failed: " + e.getMessage(), e);
        }
    }

    /** The jetcd client, acquired again when a renewal failed. */
    private Client client() throws TlsException {
        Lease<EtcdConnection, SharedEtcdClient> current = shared;
        if (current == null) {
            synchronized (this) {
                if (shared == null) {
                    if (closed) {
                        throw new IllegalStateException("reporter closed");
                    }
                    shared = clients.acquire(target.connection());
                }
                current = shared;
            }
        }
        return current.get().client();
    }

    /** The shared client in use (for tests), or {@code null}. */
    SharedEtcdClient sharedClient() {
        Lease<EtcdConnection, SharedEtcdClient> current = shared;
        return current == null ? null : current.get();
    }

    static String keyFor(ReporterTarget.Etcd target, String instanceId, String service) {
        return target.path() + "/" + instanceId + "_" + service;
    }

    /** Three check intervals, at least 5 s (whole seconds: etcd's unit). */
    static long ttlSeconds(Duration checkInterval) {
        return Math.max(5, (long) Math.ceil(checkInterval.toMillis() * 3 / 1000.0));
    }

    String key() {
        return key.toString(StandardCharsets.UTF_8);
    }

    long leaseId() {
        return leaseId.get();
    }

    @Override
    public String describe() {
        return target.describe();
    }

    @Override
    public synchronized void reportUp() throws Exception {
        long lease = leaseId.get();
        if (lease == 0) {
            lease = await(client().getLeaseClient().grant(ttlSeconds), OPERATION_TIMEOUT_MS).getID();
            leaseId.set(lease);
            startKeepAlive();
        }
        GetResponse current = await(client().getKVClient().get(key), OPERATION_TIMEOUT_MS);
        List<KeyValue> kvs = current.getKvs();
        KeyValue kv = kvs.isEmpty() ? null : kvs.get(0);
        if (kv != null && kv.getValue().equals(value) && kv.getLease() == lease) {
            return;
        }
        try {
            await(client().getKVClient().put(key, value, PutOption.builder().withLeaseId(lease).build()),
                    OPERATION_TIMEOUT_MS);
        } catch (Exception e) {
            if (isLeaseNotFound(e)) {
                dropLease(lease);
            }
            throw e;
        }
        if (kv == null) {
            log.info("service {}: registered {} in etcd {} (lease {} s)", service, key(), endpoint(), ttlSeconds);
        } else {
            log.warn("service {}: {} in etcd {} had other data or lease; rewrote it", service, key(), endpoint());
        }
    }

    @Override
    public synchronized void reportDown() throws Exception {
        stopKeepAlive();
        long deleted = await(client().getKVClient().delete(key), OPERATION_TIMEOUT_MS).getDeleted();
        if (deleted > 0) {
            log.info("service {}: deregistered {} from etcd {}", service, key(), endpoint());
        }
        revokeQuietly(OPERATION_TIMEOUT_MS);
    }

    /**
     * Starts afresh after repeated failures: the keep-alive stops, the etcd lease is forgotten (it
     * expires unless the next report moves the key to a new one), and the client is replaced by a
     * new one for the same connection (services sharing the old one keep it until they reset or stop).
     */
    @Override
    public synchronized void reset() {
        if (closed) {
            return;
        }
        stopKeepAlive();
        long old = leaseId.getAndSet(0);
        Lease<EtcdConnection, SharedEtcdClient> current = shared;
        shared = null;
        try {
            shared = current == null ? clients.acquire(target.connection()) : clients.renew(current);
            log.info("service {}: reset: new etcd client for {}{}", service, endpoint(),
                    old == 0 ? "" : "; lease " + Long.toHexString(old) + " is left to expire");
        } catch (TlsException | RuntimeException e) {
            log.warn("service {}: reset: cannot create a new etcd client ({}); trying again on the next report", service,
                    e.getMessage());
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            stopKeepAlive();
        }
        try {
            long deleted = await(client().getKVClient().delete(key), CLOSE_TIMEOUT_MS).getDeleted();
            if (deleted > 0) {
                log.info("service {}: deregistered {} from etcd {}", service, key(), endpoint());
            }
        } catch (Exception e) {
            log.warn("service {}: could not delete {} ({}); it expires with its lease", service, key(), Check.reason(e));
        }
        revokeQuietly(CLOSE_TIMEOUT_MS);
        Lease<EtcdConnection, SharedEtcdClient> last;
        synchronized (this) {
            last = shared;
            shared = null;
        }
        if (last != null) {
            last.close();
        }
    }

    private String endpoint() {
        return target.connection().endpoints().get(0).getAuthority();
    }

    private void revokeQuietly(long timeoutMs) {
        long lease = leaseId.getAndSet(0);
        if (lease != 0) {
            try {
                await(client().getLeaseClient().revoke(lease), timeoutMs);
            } catch (Exception e) {
                log.debug("service {}: revoking lease {} failed ({}); it expires", service, lease, Check.reason(e));
            }
        }
    }

    private void startKeepAlive() {
        stopKeepAlive();
        long periodMs = Math.max(500, ttlSeconds * 1000 / 3);
        keepAlive = scheduler.scheduleAtFixedRate(this::keepAliveOnce, periodMs, periodMs, TimeUnit.MILLISECONDS);
    }

    private void stopKeepAlive() {
        if (keepAlive != null) {
            keepAlive.cancel(false);
            keepAlive = null;
        }
    }

    /** Refreshes the lease only: never writes the key. */
    private void keepAliveOnce() {
        long lease = leaseId.get();
        if (lease == 0) {
            return;
        }
        Lease<EtcdConnection, SharedEtcdClient> current = shared;
        if (current == null) {
            return; // being reset: the next report grants a new lease
        }
        CompletableFuture<LeaseKeepAliveResponse> f;
        try {
            f = current.get().client().getLeaseClient().keepAliveOnce(lease);
        } catch (RuntimeException e) {
            log.debug("service {}: lease keep-alive failed: {}", service, Check.reason(e));
            return;
        }
        f.orTimeout(OPERATION_TIMEOUT_MS, TimeUnit.MILLISECONDS).whenComplete((response, error) -> {
            if (error != null) {
                if (isLeaseNotFound(error)) {
                    leaseLost(lease);
                } else {
                    log.debug("service {}: lease keep-alive failed: {}", service, Check.reason(unwrap(error)));
                }
            } else if (response.getTTL() <= 0) {
                leaseLost(lease);
            }
        });
    }

    private void leaseLost(long lease) {
        if (dropLease(lease)) {
            log.warn("service {}: etcd lease {} expired; registering again", service, Long.toHexString(lease));
            onDrift.run();
        }
    }

    /** Not synchronized: called from jetcd's threads while a report may hold the monitor. */
    private boolean dropLease(long lease) {
        if (closed || !leaseId.compareAndSet(lease, 0)) {
            return false;
        }
        ScheduledFuture<?> k = keepAlive;
        if (k != null) {
            k.cancel(false);
        }
        return true;
    }

    private static boolean isLeaseNotFound(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c.getMessage() != null && c.getMessage().contains("lease not found")) {
                return true;
            }
        }
        return false;
    }

    private static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while ((c instanceof ExecutionException || c instanceof java.util.concurrent.CompletionException) && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }

    static <T> T await(CompletableFuture<T> future, long timeoutMs) throws Exception {
        try {
            return future.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = unwrap(e);
            if (cause instanceof Exception ex) {
                throw ex;
            }
            throw e;
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new TimeoutException("etcd did not answer within " + timeoutMs + " ms");
        }
    }
}

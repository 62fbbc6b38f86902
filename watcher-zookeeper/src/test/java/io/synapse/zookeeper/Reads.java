package io.synapse.zookeeper;

import io.synapse.common.zookeeper.ZooKeeperConnection;
import org.apache.curator.drivers.AdvancedTracerDriver;
import org.apache.curator.drivers.EventTrace;
import org.apache.curator.drivers.OperationTrace;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records the reads a connection makes (from Curator's operation traces): for asserting what was read again. */
final class Reads extends AdvancedTracerDriver {
    /** One read: {@code GetChildren}, {@code GetData} or {@code Exists}, and its path. */
    record Read(String op, String path) {}

    private final List<Read> reads = new CopyOnWriteArrayList<>();

    /** Starts recording the reads of {@code connection} (its earlier reads are not seen). */
    static Reads on(ZooKeeperConnection connection) {
        Reads reads = new Reads();
        connection.client().getZookeeperClient().setTracerDriver(reads);
        return reads;
    }

    @Override
    public void addTrace(OperationTrace trace) {
        String name = trace.getName();
        for (String op : List.of("GetChildren", "GetData", "Exists")) {
            if (name.startsWith(op)) {
                reads.add(new Read(op, trace.getPath()));
            }
        }
    }

    @Override
    public void addEvent(EventTrace trace) {}

    /** The paths read with {@code op} so far, in order. */
    List<String> paths(String op) {
        return reads.stream().filter(r -> r.op().equals(op)).map(Read::path).toList();
    }

    long count(String op) {
        return reads.stream().filter(r -> r.op().equals(op)).count();
    }
}

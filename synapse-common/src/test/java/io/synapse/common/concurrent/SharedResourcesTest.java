package io.synapse.common.concurrent;

import io.synapse.common.concurrent.SharedResources.Lease;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SharedResourcesTest {
    private final AtomicInteger numbers = new AtomicInteger();
    private final List<String> disposed = new ArrayList<>();
    private final SharedResources<String, String> pool =
            new SharedResources<>("thing", key -> key + "#" + numbers.incrementAndGet(), disposed::add);

    @Test
    void oneResourcePerKeyDisposedByTheLastLease() {
        Lease<String, String> a = pool.acquire("x");
        Lease<String, String> b = pool.acquire("x");
        Lease<String, String> y = pool.acquire("y");
        assertThat(a.get()).isEqualTo("x#1").isSameAs(b.get());
        assertThat(y.get()).isEqualTo("y#2");
        assertThat(pool.size()).isEqualTo(2);
        assertThat(pool.references("x")).isEqualTo(2);
        assertThat(a.isLast()).isFalse();
        a.close();
        a.close();
        assertThat(b.isLast()).isTrue();
        assertThat(disposed).isEmpty();
        b.close();
        assertThat(disposed).containsExactly("x#1");
        assertThat(pool.find("x")).isEmpty();
        assertThat(pool.find("y")).contains("y#2");
        assertThat(pool.created()).isEqualTo(2);
        assertThatThrownBy(b::get).hasMessage("lease of thing x is closed");
    }

    @Test
    void renewGivesANewResourceAndTheOldOneLivesUntilItsLastLease() {
        Lease<String, String> a = pool.acquire("x");
        Lease<String, String> b = pool.acquire("x");
        Lease<String, String> renewed = pool.renew(a);
        assertThat(renewed.get()).isEqualTo("x#2");
        assertThat(pool.acquire("x").get()).isEqualTo("x#2");
        assertThat(b.get()).isEqualTo("x#1");
        assertThat(disposed).isEmpty();
        b.close();
        assertThat(disposed).containsExactly("x#1");

        Lease<String, String> alone = pool.acquire("z");
        pool.renew(alone).close();
        assertThat(disposed).containsExactly("x#1", "z#3", "z#4");
    }

    @Test
    void closeDisposesEverythingOnceAndRefusesNewLeases() {
        Lease<String, String> a = pool.acquire("x");
        Lease<String, String> b = pool.acquire("x");
        pool.renew(b);
        pool.acquire("y");
        pool.close();
        assertThat(disposed).containsExactlyInAnyOrder("x#1", "x#2", "y#3");
        a.close();
        pool.close();
        assertThat(disposed).hasSize(3);
        assertThatThrownBy(() -> pool.acquire("x")).hasMessage("the thing pool is closed");
    }

    @Test
    void aFailedCreationKeepsNothing() {
        SharedResources<String, String> failing = new SharedResources<>("thing", key -> {
            throw new IllegalStateException("no " + key);
        }, disposed::add);
        assertThatThrownBy(() -> failing.acquire("x")).hasMessage("no x");
        assertThat(failing.size()).isZero();
        assertThat(failing.created()).isZero();
    }
}

package io.synapse.common.zookeeper;

import io.synapse.common.config.ConfigProblems;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ZooKeeperEnsembleTest {
    @Test
    void hostsAreLowerCasedDeduplicatedAndSortedAsTheRubyToolsDo() {
        ZooKeeperAuth auth = new ZooKeeperAuth("digest", "synapse:secret");
        ZooKeeperEnsemble a = ZooKeeperEnsemble.of(List.of("ZK2:2181", " zk1:2181", "zk2:2181"), auth);
        ZooKeeperEnsemble b = ZooKeeperEnsemble.of(List.of("zk1:2181,zk2:2181"), auth);
        assertThat(a).isEqualTo(b);
        assertThat(a.connectString()).isEqualTo("zk1:2181,zk2:2181");
        assertThat(a.toString()).isEqualTo("zk1:2181,zk2:2181 (digest as synapse)").doesNotContain("secret");
        assertThat(a).isNotEqualTo(ZooKeeperEnsemble.of("zk1:2181,zk2:2181"));
        assertThat(ZooKeeperEnsemble.of(List.of("zk2:2181", "zk1:2181/nerve"), null).connectString())
                .isEqualTo("zk1:2181,zk2:2181/nerve");
    }

    @Test
    void everyBadHostIsReportedWithItsIndex() {
        ConfigProblems problems = new ConfigProblems().at("services.api.discovery");
        ZooKeeperEnsemble.checkHosts("hosts", Arrays.asList("zk1:2181", "zk2", null, "zk3:99999", "fe80::1:2181",
                "[fe80::1]:2181,bad host:1", "zk4:2181/a", "zk5:2181/b/"), problems);
        assertThat(problems.messages()).containsExactly(
                "services.api.discovery.hosts[1]: expected \"host:port\", got \"zk2\"",
                "services.api.discovery.hosts[2]: expected \"host:port\", got null",
                "services.api.discovery.hosts[3]: expected \"host:port\", got \"zk3:99999\" (the port must be 1-65535)",
                "services.api.discovery.hosts[4]: expected \"host:port\", got \"fe80::1:2181\" (write an IPv6 address as [addr]:port)",
                "services.api.discovery.hosts[5]: expected \"host:port\", got \"bad host:1\" "
                        + "(host \"bad host\": expected an IP address or a DNS name)",
                "services.api.discovery.hosts[7]: chroot path \"/b/\": Path must not end with / character");

        ConfigProblems two = new ConfigProblems();
        ZooKeeperEnsemble.checkHosts("zk_hosts", List.of("zk1:2181/a", "zk2:2181/b"), two);
        assertThat(two.messages()).containsExactly("zk_hosts: different chroot paths \"/a\", \"/b\"; an ensemble has one");

        ConfigProblems none = new ConfigProblems();
        ZooKeeperEnsemble.checkHosts("hosts", null, none);
        ZooKeeperEnsemble.checkHosts("hosts", List.of(), none);
        assertThat(none.messages()).containsExactly("hosts: is required: a list of \"host:port\"", "hosts: must not be empty");
    }

    @Test
    void authNeedsTheDigestSchemeAndUserPassword() {
        ConfigProblems problems = new ConfigProblems().at("auth");
        assertThat(ZooKeeperAuth.fromConfig("sasl", "secret-without-colon", problems)).isNull();
        assertThat(ZooKeeperAuth.fromConfig(null, null, problems)).isNull();
        assertThat(problems.messages()).containsExactly(
                "auth.scheme: expected \"digest\", got \"sasl\"",
                "auth.credentials: expected \"user:password\"",
                "auth.scheme: is required: \"digest\"",
                "auth.credentials: is required: \"user:password\"");
        assertThat(ZooKeeperAuth.fromConfig("digest", "u:p", new ConfigProblems())).isEqualTo(new ZooKeeperAuth("digest", "u:p"));
    }
}

package io.synapse.dns;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** SRV weights to HAProxy weights, address text, nameserver parsing, refresh bounds. */
class MappingTest {
    @Test
    void srvWeightsKeepTheirRatioWithinAGroupOnOneTo256() {
        assertThat(SrvWeights.haproxyWeight(60, 60)).isEqualTo(256);
        assertThat(SrvWeights.haproxyWeight(20, 60)).isEqualTo(85);
        assertThat(SrvWeights.haproxyWeight(10, 60)).isEqualTo(43);
        assertThat(SrvWeights.haproxyWeight(0, 60)).isEqualTo(1);
        assertThat(SrvWeights.haproxyWeight(0, 0)).isEqualTo(1);
        assertThat(SrvWeights.haproxyWeight(65535, 65535)).isEqualTo(256);
        assertThat(SrvWeights.haproxyWeight(1, 65535)).isEqualTo(1);
        assertThat(SrvWeights.haproxyWeight(32768, 65535)).isEqualTo(128);
        assertThat(SrvWeights.haproxyWeight(5, 5)).isEqualTo(256);
        assertThatThrownBy(() -> SrvWeights.haproxyWeight(7, 5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("weight 7 of a group up to 5: expected 0 <= weight <= max <= 65535");
    }

    @Test
    void ipv6AddressesAreWrittenShort() throws Exception {
        assertThat(Addresses.text(InetAddress.getByName("fd00:0:0:0:0:0:0:1"))).isEqualTo("fd00::1");
        assertThat(Addresses.text(InetAddress.getByName("::1"))).isEqualTo("::1");
        assertThat(Addresses.text(InetAddress.getByName("::"))).isEqualTo("::");
        assertThat(Addresses.text(InetAddress.getByName("2001:db8:0:0:1:0:0:1"))).isEqualTo("2001:db8::1:0:0:1");
        assertThat(Addresses.text(InetAddress.getByName("2001:db8:1:2:3:4:5:6"))).isEqualTo("2001:db8:1:2:3:4:5:6");
        assertThat(Addresses.text(InetAddress.getByName("2001:0:1:0:1:0:1:0"))).isEqualTo("2001:0:1:0:1:0:1:0");
        assertThat(Addresses.text(InetAddress.getByName("fe80:0:0:1:0:0:0:0"))).isEqualTo("fe80:0:0:1::");
        assertThat(Addresses.text(InetAddress.getByName("10.0.0.1"))).isEqualTo("10.0.0.1");
    }

    @Test
    void nameserversParse() {
        assertThat(ResolverKey.parse("10.0.0.2")).isEqualTo(new InetSocketAddress("10.0.0.2", 53));
        assertThat(ResolverKey.parse(" 10.0.0.2:5353 ")).isEqualTo(new InetSocketAddress("10.0.0.2", 5353));
        assertThat(ResolverKey.parse("fd00::2")).isEqualTo(new InetSocketAddress("fd00::2", 53));
        assertThat(ResolverKey.parse("[fd00::2]:5353")).isEqualTo(new InetSocketAddress("fd00::2", 5353));
        assertThat(ResolverKey.parse("[fd00::2]")).isEqualTo(new InetSocketAddress("fd00::2", 53));
        for (String bad : new String[] {"[10.0.0.2]:53", "[fd00::2", "[fd00::2]x", "10.0.0.2:", "10.0.0.2:0", "host:53", "300.0.0.1"}) {
            assertThatThrownBy(() -> ResolverKey.parse(bad)).as(bad).hasMessageStartingWith("expected an IP address, IP:port or [IPv6]:port");
        }
    }

    @Test
    void refreshFollowsTheTtlWithinTheBounds() {
        long s = 1_000_000_000L;
        assertThat(DnsClient.refreshNanos(5, s, 30 * s)).isEqualTo(5 * s);
        assertThat(DnsClient.refreshNanos(0, s, 30 * s)).isEqualTo(s);
        assertThat(DnsClient.refreshNanos(3600, s, 30 * s)).isEqualTo(30 * s);
        assertThat(DnsClient.refreshNanos(-1, s, 30 * s)).isEqualTo(30 * s);
        assertThat(DnsClient.refreshNanos(Long.MAX_VALUE, s, 30 * s)).isEqualTo(30 * s);
    }
}

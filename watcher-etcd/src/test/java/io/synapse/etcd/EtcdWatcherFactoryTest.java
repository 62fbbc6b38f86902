package io.synapse.etcd;

import io.synapse.common.etcd.EtcdConnections;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.synapse.common.config.ConfigProblems;
import io.synapse.spi.WatcherContext;
import io.synapse.spi.WatcherFactory;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;
import java.util.ServiceLoader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Binding with the engine's mapper, validation messages, and the service registration. */
class EtcdWatcherFactoryTest {
    private final EtcdWatcherFactory factory = new EtcdWatcherFactory();

    private List<String> problems(String json) {
        ConfigProblems problems = new ConfigProblems().at("services.api.discovery");
        factory.validate(EtcdTesting.config(json), problems);
        return problems.messages();
    }

    @Test
    void isFoundByServiceLoaderAsEtcd() {
        assertThat(ServiceLoader.load(WatcherFactory.class).stream().map(ServiceLoader.Provider::get))
                .anySatisfy(f -> {
                    assertThat(f.name()).isEqualTo("etcd");
                    assertThat(f.configClass()).isEqualTo(EtcdConfig.class);
                });
    }

    @Test
    void bindsSnakeCaseKeys() {
        EtcdConfig config = EtcdTesting.config("{\"endpoints\": [\"http://10.0.0.1:2379\"], \"path\": \"/web\", "
                + "\"decode\": {\"method\": \"json\", \"host_field\": \"IP\", \"port_field\": \"EXT_PORT\", \"name_field\": \"ID\", \"weight_field\": \"W\"}, "
                + "\"ca_file\": \"/ca\", \"cert_file\": \"/cert\", \"key_file\": \"/key\", \"user\": \"u\", \"password\": \"p\"}");
        assertThat(config).isEqualTo(new EtcdConfig(List.of("http://10.0.0.1:2379"), "/web",
                new EtcdConfig.Decode("json", "IP", "EXT_PORT", "ID", "W"), "/ca", "/cert", "/key", "u", "p"));
        assertThat(config.toString()).contains("password=***").doesNotContain("=p]");
        assertThatThrownBy(() -> EtcdTesting.MAPPER.readValue("{\"endpoints\": [], \"path\": \"/x\", \"hosts\": []}", EtcdConfig.class))
                .isInstanceOf(UnrecognizedPropertyException.class);
    }

    @Test
    void aMinimalConfigIsValid() {
        assertThat(problems("{\"endpoints\": [\"http://10.0.0.1:2379\", \"10.0.0.2:2379\", \"https://[::1]\"], \"path\": \"/x\"}"))
                .containsExactly("services.api.discovery.endpoints: mixes http:// and https:// endpoints; use one scheme");
        assertThat(problems("{\"endpoints\": [\"http://10.0.0.1:2379\", \"etcd-2\"], \"path\": \"/x\", \"decode\": {\"method\": \"key\"}}"))
                .isEmpty();
        assertThat(EtcdConnections.endpoint("etcd-2", 2379)).isEqualTo(URI.create("http://etcd-2:2379"));
        assertThat(EtcdConnections.endpoint("HTTPS://[::1]", 2379)).isEqualTo(URI.create("https://[::1]:2379"));
        assertThat(EtcdWatcherFactory.prefix("/x")).isEqualTo("/x/");
        assertThat(EtcdWatcherFactory.prefix("/x/")).isEqualTo("/x/");
        assertThat(EtcdWatcherFactory.prefix("/")).isEqualTo("/");
    }

    @Test
    void reportsEveryProblemWithItsPath() {
        assertThat(problems("{}")).containsExactly(
                "services.api.discovery.endpoints: must not be empty",
                "services.api.discovery.path: must not be empty");
        assertThat(problems("{\"endpoints\": [\"ftp://x:1\", \"http://a b\", \"\", \"http://x:2379/v2/keys\"], \"path\": \"\", "
                + "\"decode\": {\"method\": \"json\", \"port_field\": \"\"}, \"user\": \"u\"}")).containsExactly(
                "services.api.discovery.endpoints[0]: expected an http:// or https:// URL, got \"ftp://x:1\"",
                "services.api.discovery.endpoints[1]: expected a URL like http://10.0.0.1:2379, got \"http://a b\"",
                "services.api.discovery.endpoints[2]: must not be empty",
                "services.api.discovery.endpoints[3]: expected a URL like http://10.0.0.1:2379, got \"http://x:2379/v2/keys\"",
                "services.api.discovery.password: is required with user",
                "services.api.discovery.path: must not be empty",
                "services.api.discovery.decode.host_field: required when decode.method is json",
                "services.api.discovery.decode.port_field: must not be empty");
        assertThat(problems("{\"endpoints\": [\"http://x\"], \"path\": \"/x\", \"decode\": {\"method\": \"serverset\"}}"))
                .containsExactly("services.api.discovery.decode.method: expected one of nerve, json, key; got \"serverset\"");
        assertThat(problems("{\"endpoints\": [\"http://x\"], \"path\": \"/x\", \"decode\": {\"method\": \"key\", \"host_field\": \"IP\"}, \"password\": \"p\"}"))
                .containsExactly(
                        "services.api.discovery.user: is required with password",
                        "services.api.discovery.decode.host_field: only used when decode.method is json");
    }

    @Test
    void checksTlsFiles() {
        assertThat(problems("{\"endpoints\": [\"http://x\"], \"path\": \"/x\", \"ca_file\": \"/ca.pem\", \"cert_file\": \"/c.pem\"}"))
                .containsExactly(
                        "services.api.discovery.key_file: is required with cert_file",
                        "services.api.discovery.ca_file: requires https:// endpoints",
                        "services.api.discovery.cert_file: requires https:// endpoints");
        assertThat(problems("{\"endpoints\": [\"https://x\"], \"path\": \"/x\", \"ca_file\": \"/nonexistent/ca.pem\"}"))
                .containsExactly("services.api.discovery.ca_file: /nonexistent/ca.pem: no such file");
    }

    @Test
    void createRejectsAnInvalidConfigAndNeverTouchesTheNetwork() {
        assertThatThrownBy(() -> factory.create(new WatcherContext("api", "services.api.discovery"),
                EtcdTesting.config("{\"path\": \"/x\"}"), new RecordingListener()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("services.api.discovery.endpoints: must not be empty");
        RecordingListener listener = new RecordingListener();
        factory.create(new WatcherContext("api", "services.api.discovery"),
                EtcdTesting.config("{\"endpoints\": [\"http://127.0.0.1:1\"], \"path\": \"/x\"}"), listener).close();
        assertThat(listener.snapshots).isEmpty();
        assertThat(listener.failures).isEmpty();
    }
}

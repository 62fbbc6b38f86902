package io.synapse.docker;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synapse.common.config.ConfigException;
import io.synapse.common.config.ConfigProblems;
import io.synapse.config.ConfigLoader;
import io.synapse.config.Plugins;
import io.synapse.spi.CatalogFactory;
import io.synapse.spi.WatcherFactory;
import io.synapse.testing.TestConfigs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

import static io.synapse.docker.DockerTesting.problems;
import static io.synapse.testing.TestConfigs.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The watcher's and the catalog's keys, bound and checked as the engine does, every problem with its path. */
class DockerConfigTest {
    @TempDir
    Path dir;

    /** Loads a whole synapse.conf.json with the plugins on the classpath; returns its problems (none: empty). */
    private List<String> load(ObjectNode config) {
        config.set("haproxy", TestConfigs.haproxyGlobal(dir));
        try {
            new ConfigLoader(Plugins.fromClasspath(), name -> null).load(config, dir, new ConfigProblems());
            return List.of();
        } catch (ConfigException e) {
            return e.problems();
        }
    }

    @Test
    void theFactoriesAreFoundAsDocker() {
        assertThat(ServiceLoader.load(WatcherFactory.class).stream().map(ServiceLoader.Provider::get))
                .anySatisfy(f -> assertThat(f.configClass()).isEqualTo(DockerConfig.class))
                .filteredOn(f -> f.name().equals("docker")).hasSize(1);
        assertThat(ServiceLoader.load(CatalogFactory.class).stream().map(ServiceLoader.Provider::get))
                .anySatisfy(f -> assertThat(f.configClass()).isEqualTo(DockerCatalogConfig.class))
                .filteredOn(f -> f.name().equals("docker")).hasSize(1);
    }

    @Test
    void aRubyConfigWorksUnchanged() {
        ObjectNode config = json("{'services': {'redis': {'discovery': {'method': 'docker', 'servers': [{'name': 'mainserver',"
                + " 'host': 'server1.local'}, {'name': 'other', 'host': '10.0.0.2', 'port': '2375'}], 'image_name': 'mycool/image',"
                + " 'container_port': 6379, 'check_interval': 30.0}, 'haproxy': {'port': 3210}}}}");
        assertThat(load(config)).isEmpty();
        DockerConfig bound = DockerTesting.config("{'servers': [{'name': 'mainserver', 'host': 'server1.local'}],"
                + " 'image_name': 'mycool/image', 'container_port': '6379'}");
        assertThat(bound.containerPort()).isEqualTo(6379);
        assertThat(DockerWatcherFactory.targets(bound.servers(), null, null, name -> null))
                .containsExactly(new DockerServiceWatcher.Target(Endpoint.tcp("server1.local", 4243, null), "mainserver"));
    }

    @Test
    void everyProblemIsListedWithItsPath() {
        ObjectNode config = json("{'services': {'api': {'discovery': {'method': 'docker', 'servers': [{'host': 'bad host', 'port': 70000,"
                + " 'name': 'a b'}, {'port': 1}], 'socket': 'docker.sock', 'container_port': 0, 'check_interval': 0,"
                + " 'labels': ['ok=1', 'bad key=x', ''], 'network': ' ', 'container_port_label': 'a b'}}}}");
        assertThat(load(config)).containsExactly(
                "services.api.discovery.socket: use either servers (TCP engines) or socket (the local engine), not both",
                "services.api.discovery.servers[0].host: expected an IP address or a DNS name, got \"bad host\"",
                "services.api.discovery.servers[0].port: expected an integer 1-65535, got 70000",
                "services.api.discovery.servers[0].name: only letters, digits and . _ - : are allowed, got \"a b\"",
                "services.api.discovery.servers[1].host: is required",
                "services.api.discovery.socket: expected the absolute path of the engine's unix socket (like /var/run/docker.sock),"
                        + " got \"docker.sock\"",
                "services.api.discovery.labels[1]: expected \"key\" or \"key=value\", got \"bad key=x\"",
                "services.api.discovery.labels[2]: expected \"key\" or \"key=value\", got \"\"",
                "services.api.discovery.container_port: expected an integer 1-65535, got 0",
                "services.api.discovery.container_port_label: expected a label name, got \"a b\"",
                "services.api.discovery.check_interval: expected a number of seconds above 0 (at most 86400), got 0.0",
                "services.api.discovery.network: expected a Docker network name, got \" \"");
    }

    @Test
    void requiredKeysAndUnknownOnes() {
        assertThat(load(json("{'services': {'api': {'discovery': {'method': 'docker', 'image': 'redis'}}}}"))).containsExactly(
                "services.api.discovery.image: unknown key for method \"docker\" (did you mean \"image_name\"?); known keys:"
                        + " servers, socket, tls, image_name, container_port, container_port_label, check_interval, labels, network",
                "services.api.discovery.image_name: is required (or labels)",
                "services.api.discovery.container_port: is required");
        assertThat(problems("{'servers': [], 'labels': ['a'], 'container_port': 80}", Map.of()))
                .containsExactly("services.api.discovery.servers: must not be empty");
        assertThat(problems("{'servers': [{'host': '10.0.0.1'}, {'host': '10.0.0.1', 'port': 4243}], 'labels': ['a'], 'container_port': 80}",
                Map.of())).containsExactly("services.api.discovery.servers[1]: the same engine as servers[0]");
    }

    @Test
    void dockerHostIsTheDefaultEngine() {
        String discovery = "{'image_name': 'redis', 'container_port': 6379}";
        assertThat(problems(discovery, Map.of())).isEmpty();
        assertThat(problems(discovery, Map.of("DOCKER_HOST", "unix:///run/docker.sock"))).isEmpty();
        assertThat(problems(discovery, Map.of("DOCKER_HOST", "tcp://10.0.0.1:2376"))).isEmpty();
        assertThat(problems(discovery, Map.of("DOCKER_HOST", "ssh://me@host"))).containsExactly(
                "services.api.discovery.servers: not set, and DOCKER_HOST \"ssh://me@host\": expected unix:///path or tcp://host:port");

        assertThat(DockerWatcherFactory.targets(null, null, null, name -> null))
                .containsExactly(new DockerServiceWatcher.Target(Endpoint.unix("/var/run/docker.sock"), null));
        assertThat(DockerWatcherFactory.targets(null, "unix:///run/user/1000/docker.sock", null, name -> null))
                .containsExactly(new DockerServiceWatcher.Target(Endpoint.unix("/run/user/1000/docker.sock"), null));
        assertThat(DockerWatcherFactory.targets(null, null, null, Map.of("DOCKER_HOST", "unix:///run/docker.sock")::get))
                .containsExactly(new DockerServiceWatcher.Target(Endpoint.unix("/run/docker.sock"), null));
        assertThat(DockerWatcherFactory.targets(null, null, null, Map.of("DOCKER_HOST", "tcp://10.0.0.1")::get))
                .containsExactly(new DockerServiceWatcher.Target(Endpoint.tcp("10.0.0.1", 2375, null), null));
        assertThat(DockerWatcherFactory.targets(null, null, null,
                Map.of("DOCKER_HOST", "tcp://10.0.0.1", "DOCKER_TLS_VERIFY", "1", "DOCKER_CERT_PATH", "/certs")::get))
                .containsExactly(new DockerServiceWatcher.Target(Endpoint.tcp("10.0.0.1", 2376,
                        new DockerConfig.Tls("/certs/ca.pem", "/certs/cert.pem", "/certs/key.pem")), null));
    }

    @Test
    void tlsFilesAreCheckedWhenTheConfigIsLoaded() throws Exception {
        Path notPem = Files.writeString(dir.resolve("not.pem"), "hello");
        String base = "'servers': [{'host': '10.0.0.1', 'port': 2376}], 'labels': ['a'], 'container_port': 80";
        assertThat(problems("{" + base + ", 'tls': {'ca': '" + dir.resolve("missing.pem") + "'}}", Map.of()))
                .containsExactly("services.api.discovery.tls.ca: " + dir.resolve("missing.pem") + ": no such file");
        assertThat(problems("{" + base + ", 'tls': {'ca': '" + notPem + "'}}", Map.of()))
                .containsExactly("services.api.discovery.tls.ca: " + notPem + ": no PEM certificate found");
        assertThat(problems("{" + base + ", 'tls': {'cert': '" + notPem + "'}}", Map.of()))
                .containsExactly("services.api.discovery.tls.key: required with cert");
        assertThat(problems("{" + base + ", 'tls': {}}", Map.of()))
                .containsExactly("services.api.discovery.tls: expected ca, and cert with key");
        assertThat(problems("{'socket': '/var/run/docker.sock', 'labels': ['a'], 'container_port': 80, 'tls': {'ca': '/x'}}", Map.of()))
                .containsExactly("services.api.discovery.tls: only used with servers (TCP engines); a unix socket needs none");
        assertThat(problems("{'servers': [{'host': '10.0.0.1', 'tls': {'key': '/k'}}], 'labels': ['a'], 'container_port': 80}", Map.of()))
                .containsExactly("services.api.discovery.servers[0].tls.cert: required with key");
    }

    @Test
    void theCatalogsKeys() {
        ObjectNode config = json("{'services': {}, 'catalogs': {'local': {'method': 'docker', 'socket': '/var/run/docker.sock',"
                + " 'label_prefix': 'com.example.lb', 'check_interval': 5, 'haproxy': {'server_options': 'check inter 2s'}}}}");
        assertThat(load(config)).isEmpty();
        ObjectNode bad = json("{'services': {}, 'catalogs': {'local': {'method': 'docker', 'servers': [{'host': '10.0.0.1'}],"
                + " 'socket': '/s', 'label_prefix': 'my prefix', 'check_interval': -1, 'prefix': 'x'}}}");
        assertThat(load(bad)).containsExactly(
                "catalogs.local.prefix: unknown key for catalog method \"docker\"; known keys:"
                        + " servers, socket, tls, label_prefix, check_interval, network",
                "catalogs.local.socket: use either servers (TCP engines) or socket (the local engine), not both",
                "catalogs.local.label_prefix: expected letters, digits and . _ - (like synapse or com.example.lb), got \"my prefix\"",
                "catalogs.local.check_interval: expected a number of seconds above 0 (at most 86400), got -1.0");
        assertThatThrownBy(() -> new DockerCatalogFactory(name -> null).create(new io.synapse.spi.CatalogContext("c", "catalogs.c"),
                new DockerCatalogConfig(List.of(), null, null, null, null, null), new io.synapse.spi.CatalogListener() {
                    @Override
                    public void onServices(List<io.synapse.spi.ServiceDefinition> services) {}

                    @Override
                    public void onFailure(String message, Throwable cause) {}
                })).isInstanceOf(IllegalArgumentException.class).hasMessage("catalogs.c.servers: must not be empty");
    }
}

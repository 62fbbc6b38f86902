package io.synapse.haproxy;

import com.fasterxml.jackson.databind.JsonNode;
import io.synapse.spi.ConfigGenerator;
import io.synapse.common.config.ConfigProblems;
import io.synapse.spi.GeneratorContext;
import io.synapse.spi.GeneratorFactory;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/** The {@code haproxy} generator: a complete haproxy.cfg, checked, written atomically, reloaded. */
public final class HaproxyGeneratorFactory implements GeneratorFactory {
    @Override
    public String name() {
        return "haproxy";
    }

    @Override
    public ConfigGenerator create(GeneratorContext context, ConfigProblems problems) {
        int before = problems.size();
        GlobalSettings global = GlobalSettings.parse(context.globalConfig(), problems.at("haproxy"));
        String defaultsMode = global == null ? null : ServiceSettings.lastMode(global.defaults());
        Map<String, ServiceSettings> services = new LinkedHashMap<>();
        Map<String, String> backendNames = new HashMap<>();
        Map<Integer, String> ports = new HashMap<>();
        for (Map.Entry<String, JsonNode> e : context.serviceConfigs().entrySet()) {
            ConfigProblems p = problems.at("services." + e.getKey() + ".haproxy");
            ServiceSettings s = ServiceSettings.parse(e.getKey(), e.getValue(), defaultsMode, p);
            if (s == null) {
                continue;
            }
            services.put(e.getKey(), s);
            if (s.disabled()) {
                continue;
            }
            String other = backendNames.putIfAbsent(s.backendName(), e.getKey());
            if (other != null) {
                p.add("backend_name", "backend \"" + s.backendName() + "\" is also used by service " + other);
            }
            if (s.hasFrontend() && s.port() != null && s.bindAddress() == null) {
                String otherPort = ports.putIfAbsent(s.port(), e.getKey());
                if (otherPort != null) {
                    p.add("port", "port " + s.port() + " is also used by service " + otherPort);
                }
            }
        }
        if (problems.size() > before || global == null) {
            return null;
        }
        return new HaproxyGenerator(global, services, context.serviceConfigs(), defaultsMode);
    }
}

package io.synapse.testing;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.time.Duration;

/**
 * Every test class of the modules that use this test-jar waits up to 30 s for a condition, not
 * Awaitility's 10 s: on a busy 2-core machine a first AWS SDK or Docker client call alone can take
 * ten seconds. Only a failing test waits that long. Registered through {@code META-INF/services}
 * (the root pom turns on JUnit's extension auto-detection).
 */
public final class AwaitilityDefaults implements BeforeAllCallback {
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Override
    public void beforeAll(ExtensionContext context) {
        Awaitility.setDefaultTimeout(TIMEOUT);
    }
}

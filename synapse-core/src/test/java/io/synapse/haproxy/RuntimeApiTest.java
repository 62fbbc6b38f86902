package io.synapse.haproxy;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Answers to commands joined by {@code ;}, as HAProxy 2.6.12 printed them (each answer ends with an
 * empty line, but {@code del server}'s single line), attributed to their commands. The live
 * behaviour is covered by {@link LiveServersTest}; these are the shapes it relies on.
 */
class RuntimeApiTest {
    private static final String ADD = "add server be/b 127.0.0.1:9 id 2";
    private static final String READY = "set server be/b state ready";
    private static final String MAINT = "set server be/b state maint";
    private static final String DEL = "del server be/b";

    @Test
    void eachCommandGetsItsAnswer() throws IOException {
        assertThat(RuntimeApi.parse("New server registered.\n\n\n\n\n\nServer deleted.\n",
                List.of(ADD, READY, "enable health be/b", "set server be/b weight 20", MAINT, DEL), "socket"))
                .containsExactly("New server registered.", "", "", "", "", "Server deleted.");
        assertThat(RuntimeApi.parse("New server registered.\n\n\nServer deleted.\n\n", List.of(ADD, MAINT, DEL, READY), "socket"))
                .containsExactly("New server registered.", "", "Server deleted.", "");
        assertThat(RuntimeApi.parse("\nAbsolute weight can only be between 0 and 256 inclusive.\n\n\n",
                List.of("set server be/a weight 5", "set server be/a weight 500", READY), "socket"))
                .containsExactly("", "Absolute weight can only be between 0 and 256 inclusive.", "");
        // refusals
        assertThat(RuntimeApi.parse("'cookie' option is not accepted for dynamic server\n\n\n", List.of(ADD, READY), "socket"))
                .containsExactly("'cookie' option is not accepted for dynamic server", "");
        assertThat(RuntimeApi.parse("Server still has connections attached to it, cannot remove it.\n\n", List.of(DEL, READY), "socket"))
                .containsExactly(HaproxyControl.BUSY, "");
    }

    @Test
    void outputThatDoesNotReadAsOneAnswerPerCommandIsAnError() {
        assertThatThrownBy(() -> RuntimeApi.parse("New server registered.\n\n", List.of(ADD, READY), "socket x"))
                .isInstanceOf(IOException.class).hasMessage("socket x answered 1 of 2 commands");
        assertThatThrownBy(() -> RuntimeApi.parse("\n\nsurprise\n\n", List.of(READY), "socket x"))
                .isInstanceOf(IOException.class).hasMessage("socket x answered more than asked: surprise");
        assertThatThrownBy(() -> RuntimeApi.parse("", List.of(READY), "socket x"))
                .isInstanceOf(IOException.class).hasMessage("socket x answered nothing");
        assertThatThrownBy(() -> RuntimeApi.parse("New server regis", List.of(ADD), "socket x"))
                .isInstanceOf(IOException.class).hasMessage("socket x answered an incomplete line: New server regis");
    }
}

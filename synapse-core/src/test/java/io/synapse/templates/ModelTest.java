package io.synapse.templates;

import io.synapse.spi.Backend;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The static types the template check uses and the runtime values agree, name by name. */
class ModelTest {
    private static void assertAgrees(Model.Type type, Model.Scope value) {
        for (Map.Entry<String, Model.Type> field : type.fields().entrySet()) {
            Object v = value.get(field.getKey());
            assertThat(v).as("%s.%s", type.description(), field.getKey()).isNotSameAs(Model.ABSENT);
            switch (field.getValue().kind()) {
                case TEXT -> assertThat(v).as(field.getKey()).isInstanceOf(String.class);
                case NUMBER -> assertThat(v).as(field.getKey()).isInstanceOf(Integer.class);
                case BOOLEAN -> assertThat(v).as(field.getKey()).isInstanceOf(Boolean.class);
                case LIST -> {
                    assertThat(v).as(field.getKey()).isInstanceOf(List.class);
                    Object first = ((List<?>) v).get(0);
                    assertAgrees(field.getValue().element(), (Model.Scope) first);
                }
                case LABELS -> assertThat(v).as(field.getKey()).isInstanceOf(Model.Labels.class);
                case OBJECT -> assertAgrees(field.getValue(), (Model.Scope) v);
            }
        }
        assertThat(value.get("no_such_name")).isSameAs(Model.ABSENT);
    }

    @Test
    void everyNameOfEveryTypeHasAValueOfThatType() {
        Backend b = Backend.builder("10.0.0.1", 80).name("b1").weight(3).labels(Map.of("az", "a")).build();
        Model.Service s = Model.Service.of("api", 3210, List.of(b), true, true);
        assertAgrees(Model.ROOT, new Model.Root(List.of(s)));
    }

    @Test
    void backupIsTheWordBackupInTheServerOptions() {
        assertThat(Model.isBackup("check backup inter 2s")).isTrue();
        assertThat(Model.isBackup("backup")).isTrue();
        assertThat(Model.isBackup("no-backup")).isFalse();
        assertThat(Model.isBackup(null)).isFalse();
    }

    @Test
    void aServiceModelIsReusedWhileItsPositionFlagsStay() {
        Model.Service s = Model.Service.of("api", null, List.of(), false, true);
        assertThat(s.at(false, true)).isSameAs(s);
        assertThat(s.at(false, false)).isNotSameAs(s).satisfies(n -> assertThat(n.backends()).isSameAs(s.backends()));
    }
}

package io.synapse.docker;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ImageNameTest {
    @Test
    void parsesRepositoryTagAndDigest() {
        assertThat(ImageName.parse("redis")).isEqualTo(new ImageName("redis", null, null));
        assertThat(ImageName.parse("mycool/image:tagname")).isEqualTo(new ImageName("mycool/image", "tagname", null));
        assertThat(ImageName.parse("registry:5000/team/app")).isEqualTo(new ImageName("registry:5000/team/app", null, null));
        assertThat(ImageName.parse("registry:5000/team/app:1.2")).isEqualTo(new ImageName("registry:5000/team/app", "1.2", null));
        assertThat(ImageName.parse("app@sha256:abc")).isEqualTo(new ImageName("app", null, "sha256:abc"));
        assertThat(ImageName.parse("docker.io/library/redis:7")).isEqualTo(new ImageName("redis", "7", null));
        assertThat(ImageName.parse("index.docker.io/mycool/image")).isEqualTo(new ImageName("mycool/image", null, null));
    }

    @Test
    void aRepositoryMatchesEveryTagLikeTheRubyWatcher() {
        ImageName name = ImageName.parse("mycool/image");
        assertThat(name.matches("mycool/image:tagname")).isTrue();
        assertThat(name.matches("mycool/image")).isTrue();
        assertThat(name.matches("docker.io/mycool/image:2")).isTrue();
        assertThat(name.matches("wrong/image:tagname")).isFalse();
        assertThat(name.matches("mycool/image2:tagname")).isFalse();
        assertThat(name.matches("other.registry/mycool/image:1")).isFalse();
        assertThat(name.matches("sha256:0123456789abcdef")).isFalse();
        assertThat(name.matches("")).isFalse();
    }

    @Test
    void aTagMatchesThatTagOnlyAndNoTagMeansLatest() {
        assertThat(ImageName.parse("redis:7").matches("redis:7")).isTrue();
        assertThat(ImageName.parse("redis:7").matches("redis:6")).isFalse();
        assertThat(ImageName.parse("redis:7").matches("redis")).isFalse();
        assertThat(ImageName.parse("redis:latest").matches("redis")).isTrue();
        assertThat(ImageName.parse("redis").matches("library/redis:latest")).isTrue();
        assertThat(ImageName.parse("registry:5000/app:1").matches("registry:5000/app:1")).isTrue();
        assertThat(ImageName.parse("registry:5000/app").matches("registry:5000/app:1")).isTrue();
    }

    @Test
    void aDigestMatchesThatDigestOnly() {
        assertThat(ImageName.parse("app@sha256:abc").matches("app@sha256:abc")).isTrue();
        assertThat(ImageName.parse("app@sha256:abc").matches("app@sha256:def")).isFalse();
        assertThat(ImageName.parse("app").matches("app@sha256:abc")).isTrue();
    }
}

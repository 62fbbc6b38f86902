package io.synapse.docker;

import java.util.Locale;

/**
 * An image reference as users write it ({@code redis}, {@code mycool/image:1.2},
 * {@code registry:5000/team/app@sha256:...}), for matching the image a container runs. The Docker
 * Hub defaults are normalized away ({@code docker.io/library/redis} is {@code redis}).
 *
 * @param repository the repository, normalized
 * @param tag the tag, or null when none was written
 * @param digest the digest ({@code sha256:...}), or null
 */
record ImageName(String repository, String tag, String digest) {

    static ImageName parse(String reference) {
        String rest = reference.strip();
        String digest = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            digest = rest.substring(at + 1);
            rest = rest.substring(0, at);
        }
        String tag = null;
        int colon = rest.lastIndexOf(':');
        if (colon > rest.lastIndexOf('/')) {
            tag = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
        }
        for (String hub : new String[] {"docker.io/", "index.docker.io/", "registry-1.docker.io/"}) {
            if (rest.startsWith(hub)) {
                rest = rest.substring(hub.length());
                break;
            }
        }
        if (rest.startsWith("library/") && rest.indexOf('/', "library/".length()) < 0) {
            rest = rest.substring("library/".length());
        }
        return new ImageName(rest.toLowerCase(Locale.ROOT), tag, digest);
    }

    /**
     * Whether a container started from {@code containerImage} runs this image: the same repository,
     * and the same tag when this reference has one (a container started without a tag runs
     * {@code latest}), and the same digest when this reference has one.
     */
    boolean matches(String containerImage) {
        if (containerImage == null || containerImage.isEmpty()) {
            return false;
        }
        ImageName other = parse(containerImage);
        if (!repository.equals(other.repository)) {
            return false;
        }
        if (tag != null) {
            String otherTag = other.tag != null ? other.tag : other.digest == null ? "latest" : null;
            if (!tag.equals(otherTag)) {
                return false;
            }
        }
        return digest == null || digest.equals(other.digest);
    }

    @Override
    public String toString() {
        return repository + (tag == null ? "" : ":" + tag) + (digest == null ? "" : "@" + digest);
    }
}

package dev.calicorr.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A container image as Jib's buildTar writes it (the {@code docker save} layout: manifest.json, the
 * config, one gzipped tar per layer), read with the machine's {@code tar}: the image config and
 * what each layer holds.
 */
record ImageTarball(Path dir, JsonNode manifest, JsonNode config) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Unpacks {@code tarball} (not its layers) into {@code dir}. */
    static ImageTarball open(Path tarball, Path dir) throws IOException, InterruptedException {
        run(List.of("tar", "-xf", tarball.toString(), "-C", dir.toString()));
        JsonNode manifest = JSON.readTree(dir.resolve("manifest.json").toFile()).get(0);
        JsonNode config = JSON.readTree(dir.resolve(manifest.get("Config").asText()).toFile());
        return new ImageTarball(dir, manifest, config);
    }

    List<Path> layers() {
        List<Path> layers = new ArrayList<>();
        manifest.get("Layers").forEach(layer -> layers.add(dir.resolve(layer.asText())));
        return layers;
    }

    /** The paths every layer holds, in layer order, as {@code tar -t} prints them ({@code app/libs/...}). */
    List<List<String>> layerContents() throws IOException, InterruptedException {
        List<List<String>> contents = new ArrayList<>();
        for (Path layer : layers()) {
            contents.add(run(List.of("tar", "--warning=no-unknown-keyword", "-tzf", layer.toString())).lines()
                    .map(path -> path.replaceFirst("^\\./", "").replaceFirst("^/", "")).toList());
        }
        return contents;
    }

    /** The image's file system: every layer unpacked into {@code root}, in order. */
    void unpackInto(Path root) throws IOException, InterruptedException {
        for (Path layer : layers()) {
            run(List.of("tar", "--warning=no-unknown-keyword", "-xzf", layer.toString(), "-C", root.toString()));
        }
    }

    static String run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output);
        }
        return output;
    }
}

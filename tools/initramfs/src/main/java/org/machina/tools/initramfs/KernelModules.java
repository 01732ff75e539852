package org.machina.tools.initramfs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The modules of one kernel, as a kernel package installs them under
 * {@code lib/modules/VERSION}: every {@code .ko} file below {@code kernel/}, indexed by module
 * name, and {@code modules.builtin}, the modules compiled into the kernel image. Dependencies are
 * read from each module's own {@code .modinfo} ({@code depends=}), so no {@code modules.dep}
 * (which depmod writes only at install time) is needed.
 */
public final class KernelModules implements LoadOrder.Catalog {
    private final Path root;
    private final Map<String, Path> files = new HashMap<>();
    private final Map<String, Path> compressed = new HashMap<>();
    private final Set<String> builtin = new HashSet<>();
    private final Map<String, List<String>> dependencies = new HashMap<>();

    private KernelModules(Path root) {
        this.root = root;
    }

    /** Indexes {@code root}, a {@code lib/modules/VERSION} directory. */
    public static KernelModules index(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IOException(root + ": not a directory (expected lib/modules/VERSION of a kernel package)");
        }
        KernelModules k = new KernelModules(root);
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                String file = p.getFileName().toString();
                if (file.endsWith(".ko")) {
                    k.files.putIfAbsent(nameOf(file), p);
                } else if (file.matches(".*\\.ko\\.(xz|zst|gz)")) {
                    k.compressed.putIfAbsent(nameOf(file), p);
                }
            }
        }
        Path builtinList = root.resolve("modules.builtin");
        if (Files.isRegularFile(builtinList)) {
            for (String line : Files.readAllLines(builtinList)) {
                if (!line.isBlank()) {
                    k.builtin.add(nameOf(Path.of(line.strip()).getFileName().toString()));
                }
            }
        }
        if (k.files.isEmpty() && k.compressed.isEmpty()) {
            throw new IOException(root + ": no kernel modules (.ko) below it");
        }
        return k;
    }

    /** Module names as the kernel compares them: {@code -} and {@code _} are the same. */
    public static String normalize(String module) {
        return module.replace('-', '_');
    }

    private static String nameOf(String file) {
        int ko = file.indexOf(".ko");
        return normalize(ko < 0 ? file : file.substring(0, ko));
    }

    /** The {@code .ko} file of {@code module}. */
    public Path file(String module) {
        Path p = files.get(normalize(module));
        if (p == null) {
            throw new IllegalArgumentException("module " + module + " is not in " + describe());
        }
        return p;
    }

    @Override
    public boolean builtin(String module) {
        return builtin.contains(normalize(module));
    }

    @Override
    public Optional<List<String>> dependencies(String module) {
        String name = normalize(module);
        Path p = files.get(name);
        if (p == null) {
            Path packed = compressed.get(name);
            if (packed != null) {
                throw new IllegalArgumentException(packed + " is compressed: decompress the modules first");
            }
            return Optional.empty();
        }
        return Optional.of(dependencies.computeIfAbsent(name, n -> {
            try {
                return ModInfo.parse(Files.readAllBytes(p), p.toString()).depends();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }));
    }

    @Override
    public String describe() {
        return "the kernel modules in " + root;
    }
}

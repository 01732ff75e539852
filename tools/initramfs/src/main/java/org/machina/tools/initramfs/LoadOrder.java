package org.machina.tools.initramfs;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Orders kernel modules for loading: every module the wanted ones need, transitively, each after
 * all of its dependencies (a depth-first, post-order walk, so the result keeps the wanted order
 * wherever the dependencies allow it). Modules built into the kernel are satisfied already and
 * left out.
 */
public final class LoadOrder {

    /** Where the dependencies come from: a kernel's modules, or a table in a test. */
    public interface Catalog {
        /** True when the kernel has {@code module} built in. */
        boolean builtin(String module);

        /** The modules {@code module} depends on, or empty when the kernel has no such module. */
        Optional<List<String>> dependencies(String module);

        /** Names the kernel in error messages. */
        String describe();
    }

    /** A module that cannot be loaded: missing, or in a dependency cycle. */
    public static final class UnresolvableModule extends Exception {
        public UnresolvableModule(String message) {
            super(message);
        }
    }

    private final Catalog catalog;
    private final Set<String> done = new LinkedHashSet<>();
    private final List<String> path = new ArrayList<>();
    private final Set<String> onPath = new HashSet<>();

    private LoadOrder(Catalog catalog) {
        this.catalog = catalog;
    }

    /** The load order of {@code wanted} and everything they need. */
    public static List<String> resolve(List<String> wanted, Catalog catalog) throws UnresolvableModule {
        LoadOrder order = new LoadOrder(catalog);
        for (String w : wanted) {
            order.visit(KernelModules.normalize(w), null);
        }
        return List.copyOf(order.done);
    }

    private void visit(String module, String neededBy) throws UnresolvableModule {
        if (done.contains(module) || catalog.builtin(module)) {
            return;
        }
        if (onPath.contains(module)) {
            List<String> cycle = new ArrayList<>(path.subList(path.indexOf(module), path.size()));
            cycle.add(module);
            throw new UnresolvableModule("modules depend on each other in a cycle: " + String.join(" -> ", cycle));
        }
        Optional<List<String>> deps = catalog.dependencies(module);
        if (deps.isEmpty()) {
            throw new UnresolvableModule("module " + module
                    + (neededBy == null ? "" : " (needed by " + neededBy + ")")
                    + " is neither a module of nor built into " + catalog.describe());
        }
        path.add(module);
        onPath.add(module);
        for (String dep : deps.get()) {
            visit(KernelModules.normalize(dep), module);
        }
        path.removeLast();
        onPath.remove(module);
        done.add(module);
    }
}

package org.machina.runtime.machine;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Function;
import org.osgi.framework.Bundle;

/**
 * Services of one kind (device types, CPU types, ...) by their {@code machina.name}, with the
 * bundle that provides each. When two services share a name (during a swap), the one registered
 * last wins.
 *
 * @param <T> the service interface
 */
public final class TypeRegistry<T> {
    /** A registered service and the bundle it came from. */
    public record Provided<T>(String name, T service, Bundle bundle) {
        public String bundleLabel() {
            return bundle == null ? "built-in" : bundle.getSymbolicName() + " " + bundle.getVersion();
        }
    }

    private final String kind;
    private final Function<T, String> namer;
    private final Map<String, List<Provided<T>>> byName = new LinkedHashMap<>();

    public TypeRegistry(String kind, Function<T, String> namer) {
        this.kind = kind;
        this.namer = namer;
    }

    public String kind() {
        return kind;
    }

    public synchronized void add(T service, Bundle bundle) {
        String name = namer.apply(service);
        byName.computeIfAbsent(name, n -> new ArrayList<>()).add(new Provided<>(name, service, bundle));
        notifyAll();
    }

    public synchronized void remove(T service) {
        byName.values().forEach(list -> list.removeIf(p -> p.service() == service));
        byName.values().removeIf(List::isEmpty);
        notifyAll();
    }

    public synchronized Optional<Provided<T>> find(String name) {
        List<Provided<T>> list = byName.get(name);
        return list == null || list.isEmpty() ? Optional.empty() : Optional.of(list.get(list.size() - 1));
    }

    /** The service named {@code name}, or an error saying what is installed. */
    public Provided<T> require(String path, String name) {
        return find(name).orElseThrow(() -> new org.machina.api.machine.DescriptionException(path,
                "no " + kind + " '" + name + "'; installed: " + namesOrNone()));
    }

    public synchronized List<String> names() {
        return List.copyOf(new TreeSet<>(byName.keySet()));
    }

    public String namesOrNone() {
        List<String> names = names();
        return names.isEmpty() ? "(none)" : String.join(", ", names);
    }

    /** Names provided by {@code bundle}. */
    public synchronized List<String> providedBy(Bundle bundle) {
        List<String> out = new ArrayList<>();
        byName.forEach((name, list) -> {
            if (list.stream().anyMatch(p -> p.bundle() != null && p.bundle().getBundleId() == bundle.getBundleId())) {
                out.add(name);
            }
        });
        return out;
    }

    /**
     * Waits until {@code name} is provided by the active bundle {@code bundleId} (another bundle
     * may provide it as well: during a side-by-side update both do), or the time-out passes.
     */
    public synchronized Optional<Provided<T>> await(String name, long bundleId, long timeoutMillis) throws InterruptedException {
        long end = System.currentTimeMillis() + timeoutMillis;
        while (true) {
            List<Provided<T>> list = byName.getOrDefault(name, List.of());
            for (Provided<T> p : list) {
                if (p.bundle() != null && p.bundle().getBundleId() == bundleId && p.bundle().getState() == Bundle.ACTIVE) {
                    return Optional.of(p);
                }
            }
            long left = end - System.currentTimeMillis();
            if (left <= 0) {
                return Optional.empty();
            }
            wait(left);
        }
    }
}

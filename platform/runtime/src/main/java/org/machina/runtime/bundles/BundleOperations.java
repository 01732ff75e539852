package org.machina.runtime.bundles;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.machina.api.cpu.CpuType;
import org.machina.api.device.DeviceType;
import org.machina.api.machine.BundleInfo;
import org.machina.api.machine.BundleService;
import org.machina.api.machine.DeviceInfo;
import org.machina.api.machine.HotSwapException;
import org.machina.runtime.machine.MachineImpl;
import org.machina.runtime.machine.Registries;
import org.machina.runtime.machine.Swapper;
import org.machina.runtime.machine.TypeRegistry;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.wiring.FrameworkWiring;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Installs, updates and uninstalls bundles. An update of a bundle whose device types are in use
 * hot-swaps those devices: every affected machine is paused and its devices' state saved, the
 * bundle is updated and refreshed, the new types recreate the devices and load the state, and the
 * machines resume. Any failure puts the old bundle back and restores the saved state.
 */
public final class BundleOperations implements BundleService {
    private static final Logger LOG = LoggerFactory.getLogger(BundleOperations.class);
    private static final long SERVICE_TIMEOUT_MS = 15_000;
    /** How long an install waits for the new bundle's components to register their types. */
    private static final long INSTALL_WAIT_MS = 5_000;

    private final BundleContext context;
    private final Registries registries;
    private final Collection<MachineImpl> machines;
    /** The jar each bundle was last updated or installed from at run time (a private copy). */
    private final Map<Long, Path> contents = new ConcurrentHashMap<>();
    /** Where each bundle updated at run time came from, and where the update was persisted. */
    private final Map<Long, String> updatedFrom = new ConcurrentHashMap<>();
    /** The launcher's private copies of the jars as installed ({@code <bundle id>.jar}), or null. */
    private final Path launchJars;
    /** {@code $MACHINA_HOME/bundles}, where updates are persisted for the next launch, or null. */
    private final Path persistDir;

    public BundleOperations(BundleContext context, Registries registries, Collection<MachineImpl> machines) {
        this.context = context;
        this.registries = registries;
        this.machines = machines;
        String jars = context.getProperty("machina.jars");
        String home = context.getProperty("machina.home");
        this.launchJars = jars == null ? null : Path.of(jars);
        this.persistDir = home == null ? null : Path.of(home).resolve("bundles");
    }

    @Override
    public List<BundleInfo> bundles() {
        List<BundleInfo> out = new ArrayList<>();
        for (Bundle b : context.getBundles()) {
            out.add(info(b));
        }
        return out;
    }

    private BundleInfo info(Bundle b) {
        String updated = updatedFrom.get(b.getBundleId());
        return new BundleInfo(b.getBundleId(), String.valueOf(b.getSymbolicName()), b.getVersion().toString(),
                stateName(b.getState()), provided(b), updated != null ? updated : locationPath(b.getLocation()));
    }

    private static String locationPath(String location) {
        try {
            return location.startsWith("file:") ? Path.of(URI.create(location)).toString() : location;
        } catch (IllegalArgumentException e) {
            return location;
        }
    }

    private static String stateName(int state) {
        return switch (state) {
            case Bundle.INSTALLED -> "INSTALLED";
            case Bundle.RESOLVED -> "RESOLVED";
            case Bundle.STARTING -> "STARTING";
            case Bundle.STOPPING -> "STOPPING";
            case Bundle.ACTIVE -> "ACTIVE";
            default -> "UNINSTALLED";
        };
    }

    @Override
    public BundleInfo install(String location) {
        try {
            Bundle b = context.installBundle(toUri(location));
            if (toUri(location).startsWith("file:")) {
                remember(b, Path.of(URI.create(toUri(location))));
            }
            if (b.getHeaders().get("Fragment-Host") == null) {
                b.start();
                awaitComponents(b);
            }
            return info(b);
        } catch (BundleException e) {
            throw new HotSwapException("cannot install '" + location + "': " + e.getMessage(), e);
        }
    }

    /**
     * Declarative Services registers a started bundle's components on its own thread: wait (a few
     * seconds at most) until a bundle with components provides a type, so a {@code device_add}
     * right after the install finds it.
     */
    private void awaitComponents(Bundle b) {
        if (b.getHeaders().get("Service-Component") == null) {
            return;
        }
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(INSTALL_WAIT_MS);
        while (System.nanoTime() < end && provided(b).isEmpty()) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private List<String> provided(Bundle b) {
        List<String> provides = new ArrayList<>();
        registries.boards.providedBy(b).forEach(n -> provides.add("board:" + n));
        registries.cpus.providedBy(b).forEach(n -> provides.add("cpu:" + n));
        registries.devices.providedBy(b).forEach(n -> provides.add("device:" + n));
        registries.chardevs.providedBy(b).forEach(n -> provides.add("chardev:" + n));
        registries.blockDrivers.providedBy(b).forEach(n -> provides.add("block:" + n));
        return provides;
    }

    private static String toUri(String location) {
        if (location.contains(":/")) {
            return location;
        }
        Path p = Path.of(location).toAbsolutePath();
        if (!Files.isRegularFile(p)) {
            throw new HotSwapException("no bundle file at '" + location + "'");
        }
        return p.toUri().toString();
    }

    Bundle resolve(String spec) {
        for (Bundle b : context.getBundles()) {
            if (spec.equals(Long.toString(b.getBundleId())) || spec.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new HotSwapException("no bundle '" + spec + "' (give a bundle id or symbolic name; see the bundle list)");
    }

    @Override
    public synchronized BundleInfo update(String spec, String location) {
        Bundle bundle = resolve(spec);
        if (bundle.getBundleId() == 0 || bundle.getBundleId() == context.getBundle().getBundleId()) {
            throw new HotSwapException("bundle '" + spec + "' is part of the framework or runtime and cannot be updated while running");
        }
        refuseIfBoardInUse(bundle, "update");
        refuseIfRuntimeDependsOn(bundle);
        Set<String> types = Set.copyOf(registries.devices.providedBy(bundle));
        Set<String> cpuTypes = Set.copyOf(registries.cpus.providedBy(bundle));
        Path replacement = Path.of(toUri(location).startsWith("file:") ? URI.create(toUri(location)).getPath() : location);
        // Before anything pauses: a jar that will not resolve or link, or that lacks a type in use, is refused here.
        ResolveCheck.Declared declared = ResolveCheck.check(context, replacement, this::refresh);
        refuseIfTypesInUseMissing(bundle, declared, types, cpuTypes);
        if (canInstallBeside(bundle, replacement)) {
            return updateBeside(spec, bundle, replacement, types, cpuTypes);
        }
        Path backup = backup(bundle);
        List<Swapper> swaps;
        try {
            swaps = pauseAll(spec, bundle, types, cpuTypes);
        } catch (HotSwapException e) {
            deleteQuietly(backup);
            throw e;
        }
        String outcome = "failed";
        try {
            replace(bundle, replacement);
            for (Swapper s : swaps) {
                s.attach(name -> awaitType(registries.cpus, name, bundle), name -> awaitType(registries.devices, name, bundle));
            }
            remember(bundle, replacement);
            updatedFrom.put(bundle.getBundleId(), "updated from " + replacement.toAbsolutePath() + persist(bundle, replacement));
            outcome = "updated";
            LOG.info("updated bundle {} to {}; swapped {} device(s)", spec, bundle.getVersion(),
                    swaps.stream().mapToInt(Swapper::count).sum());
            return info(bundle);
        } catch (RuntimeException e) {
            LOG.warn("update of bundle {} failed, rolling back: {}", spec, e.getMessage());
            for (Swapper s : swaps) {
                s.detachAgainIfAttached();
            }
            try {
                replace(bundle, backup);
                reattachOld(swaps, bundle);
                outcome = "rolled-back";
            } catch (RuntimeException rollback) {
                e.addSuppressed(rollback);
                throw new HotSwapException("update of '" + spec + "' failed (" + e.getMessage()
                        + ") and the rollback failed too: " + rollback.getMessage(), e);
            }
            throw new HotSwapException("update of '" + spec + "' failed and was rolled back: " + e.getMessage(), e);
        } finally {
            for (Swapper sw : swaps) {
                sw.resume(bundle, outcome);
            }
            deleteQuietly(backup);
        }
    }

    /**
     * Whether the new jar can be installed beside the running bundle (a different version of the
     * same symbolic name, and no other bundle wired to this one), so that it is started and its
     * types registered before any machine pauses.
     */
    private boolean canInstallBeside(Bundle bundle, Path jar) {
        String[] bsnVersion = ResolveCheck.symbolicNameAndVersion(jar);
        if (bsnVersion == null || !bsnVersion[0].equals(bundle.getSymbolicName())
                || org.osgi.framework.Version.parseVersion(bsnVersion[1]).equals(bundle.getVersion())) {
            return false;
        }
        FrameworkWiring wiring = context.getBundle(0).adapt(FrameworkWiring.class);
        return wiring.getDependencyClosure(List.of(bundle)).size() == 1;
    }

    /**
     * An update that holds the machines only while devices (and the CPU) move to the new types:
     * the new jar is installed beside the old bundle and started, and its types are awaited,
     * before anything pauses; then each machine is held, its devices are saved, detached and
     * re-created from the new bundle's types, and it runs again; only then is the old bundle
     * uninstalled. A failure before the pause leaves the machines alone; one after it puts the
     * devices back on the old bundle's types, which are still there.
     */
    private BundleInfo updateBeside(String spec, Bundle old, Path jar, Set<String> types, Set<String> cpuTypes) {
        Bundle fresh = null;
        boolean done = false;
        try {
            try (InputStream in = Files.newInputStream(jar)) {
                fresh = context.installBundle(jar.toAbsolutePath().toUri() + "#update-" + System.nanoTime(), in);
                fresh.start();
            } catch (IOException | BundleException e) {
                throw new HotSwapException("cannot install " + jar + " beside bundle " + old.getSymbolicName() + ": "
                        + e.getMessage(), e);
            }
            Bundle newBundle = fresh;
            Map<String, TypeRegistry.Provided<DeviceType>> newDevices = new HashMap<>();
            Map<String, TypeRegistry.Provided<CpuType>> newCpus = new HashMap<>();
            for (MachineImpl m : machines) {
                for (DeviceInfo d : m.devicesOfTypes(types::contains)) {
                    newDevices.computeIfAbsent(d.type(), t -> awaitType(registries.devices, t, newBundle));
                }
                m.cpuTypeName().filter(cpuTypes::contains)
                        .ifPresent(t -> newCpus.computeIfAbsent(t, n -> awaitType(registries.cpus, n, newBundle)));
            }
            preload(newBundle);
            List<Swapper> swaps = pauseAll(spec, old, types, cpuTypes);
            String outcome = "failed";
            try {
                for (Swapper s : swaps) {
                    // a type found in the machines only now (a device_add since the wait) is awaited here
                    s.attach(n -> newCpus.computeIfAbsent(n, t -> awaitType(registries.cpus, t, newBundle)),
                            n -> newDevices.computeIfAbsent(n, t -> awaitType(registries.devices, t, newBundle)));
                }
                outcome = "updated";
            } catch (RuntimeException e) {
                LOG.warn("update of bundle {} failed, rolling back: {}", spec, e.getMessage());
                try {
                    for (Swapper s : swaps) {
                        s.detachAgainIfAttached();
                    }
                    reattachOld(swaps, old);
                    outcome = "rolled-back";
                } catch (RuntimeException rollback) {
                    e.addSuppressed(rollback);
                    throw new HotSwapException("update of '" + spec + "' failed (" + e.getMessage()
                            + ") and the rollback failed too: " + rollback.getMessage(), e);
                }
                throw new HotSwapException("update of '" + spec + "' failed and was rolled back: " + e.getMessage(), e);
            } finally {
                Bundle reported = outcome.equals("updated") ? newBundle : old;
                for (Swapper sw : swaps) {
                    sw.resume(reported, outcome);
                }
            }
            done = true;
            // The machines run on the new bundle: the old one goes, outside any pause.
            try {
                old.uninstall();
                refresh(List.of(old));
            } catch (BundleException | RuntimeException e) {
                LOG.warn("bundle {} {} was replaced but could not be uninstalled: {}", old.getSymbolicName(), old.getVersion(),
                        e.getMessage());
            }
            Path copy = contents.remove(old.getBundleId());
            if (copy != null) {
                deleteQuietly(copy);
            }
            updatedFrom.remove(old.getBundleId());
            remember(fresh, jar);
            updatedFrom.put(fresh.getBundleId(), "updated from " + jar.toAbsolutePath() + persist(fresh, jar));
            LOG.info("updated bundle {} to {} beside the old one; swapped {} device(s)", spec, fresh.getVersion(),
                    swaps.stream().mapToInt(Swapper::count).sum());
            return info(fresh);
        } finally {
            if (!done && fresh != null) {
                try {
                    fresh.uninstall();
                    refresh(List.of(fresh));
                } catch (BundleException | RuntimeException e) {
                    LOG.warn("cannot uninstall the refused update {}: {}", jar, e.getMessage());
                }
            }
        }
    }

    /**
     * Loads every class of the new bundle before the machines pause, so that the devices and CPU
     * it creates while they are held do not wait for class loading. A class that fails to load is
     * left to fail where it is used.
     */
    private static void preload(Bundle bundle) {
        org.osgi.framework.wiring.BundleWiring wiring = bundle.adapt(org.osgi.framework.wiring.BundleWiring.class);
        if (wiring == null) {
            return;
        }
        for (String resource : wiring.listResources("/", "*.class", org.osgi.framework.wiring.BundleWiring.LISTRESOURCES_RECURSE
                | org.osgi.framework.wiring.BundleWiring.LISTRESOURCES_LOCAL)) {
            String name = resource.substring(0, resource.length() - ".class".length()).replace('/', '.');
            if (name.endsWith("package-info") || name.endsWith("module-info")) {
                continue;
            }
            try {
                Class.forName(name, false, wiring.getClassLoader());
            } catch (ClassNotFoundException | LinkageError | RuntimeException e) {
                LOG.debug("preloading {} of {}: {}", name, bundle.getSymbolicName(), e.toString());
            }
        }
    }

    /**
     * Holds every machine that uses one of the types and detaches them. If that fails on some
     * machine, the machines held so far get their devices back from {@code old}'s types and run
     * again, and the update is refused; {@code old} is untouched.
     */
    private List<Swapper> pauseAll(String spec, Bundle old, Set<String> types, Set<String> cpuTypes) {
        try {
            return Swapper.pauseAll(machines, types::contains, cpuTypes::contains, name -> awaitType(registries.cpus, name, old),
                    name -> awaitType(registries.devices, name, old), String.valueOf(old.getSymbolicName()), old.getVersion().toString());
        } catch (RuntimeException e) {
            throw new HotSwapException("cannot save device state for the update of '" + spec + "': " + e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path temp) {
        try {
            Files.deleteIfExists(temp);
        } catch (IOException ignored) {
            // a temp file; nothing to do
        }
    }

    private void reattachOld(List<Swapper> swaps, Bundle bundle) {
        for (Swapper s : swaps) {
            s.attach(name -> awaitType(registries.cpus, name, bundle), name -> awaitType(registries.devices, name, bundle));
        }
    }

    private static <T> TypeRegistry.Provided<T> awaitType(TypeRegistry<T> registry, String name, Bundle bundle) {
        try {
            return registry.await(name, bundle.getBundleId(), SERVICE_TIMEOUT_MS)
                    .orElseThrow(() -> new HotSwapException("bundle " + bundle.getSymbolicName() + " " + bundle.getVersion()
                            + " does not provide " + registry.kind() + " '" + name + "' (within " + SERVICE_TIMEOUT_MS / 1000 + " s)"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HotSwapException("interrupted while waiting for " + registry.kind() + " '" + name + "'");
        }
    }

    /**
     * Refuses an update whose jar does not declare a device or CPU type that a machine uses from
     * the bundle now, naming the type and its users: nothing pauses, where the swap would hold the
     * guest while waiting in vain for the type and then roll back. Skipped for a jar with a
     * {@code Bundle-Activator}, which may register types without components.
     */
    private void refuseIfTypesInUseMissing(Bundle bundle, ResolveCheck.Declared declared, Set<String> types, Set<String> cpuTypes) {
        if (!declared.complete()) {
            return;
        }
        List<String> missing = new ArrayList<>();
        for (MachineImpl m : machines) {
            for (DeviceInfo d : m.devicesOfTypes(t -> types.contains(t) && !declared.devices().contains(t))) {
                missing.add("device type '" + d.type() + "' (machine '" + m.name() + "' device '" + d.id() + "')");
            }
            m.cpuTypeName().filter(t -> cpuTypes.contains(t) && !declared.cpus().contains(t))
                    .ifPresent(t -> missing.add("CPU type '" + t + "' (machine '" + m.name() + "')"));
        }
        if (!missing.isEmpty()) {
            throw new HotSwapException("the new jar for " + bundle.getSymbolicName() + " does not provide "
                    + String.join(", ", missing) + "; it declares device types " + declared.devices()
                    + " and CPU types " + declared.cpus() + ". Nothing was paused");
        }
    }

    /**
     * Refuses to update a bundle the runtime itself depends on (the device API, Gson, SCR, ...):
     * refreshing it would restart the runtime and shut down every machine.
     */
    private void refuseIfRuntimeDependsOn(Bundle bundle) {
        FrameworkWiring wiring = context.getBundle(0).adapt(FrameworkWiring.class);
        if (wiring.getDependencyClosure(List.of(bundle)).contains(context.getBundle())) {
            throw new HotSwapException("bundle " + bundle.getSymbolicName() + " is shared: the runtime ("
                    + context.getBundle().getSymbolicName() + ") depends on it, so updating it would restart the runtime and"
                    + " shut down every machine; install the new jar and restart Machina instead");
        }
    }

    /**
     * Boards are not swapped: a board built the machine (its memory map, the default devices and
     * their wiring) and keeps no state of its own to carry, so replacing it means building the
     * machine again.
     */
    private void refuseIfBoardInUse(Bundle bundle, String what) {
        for (MachineImpl m : machines) {
            for (String board : registries.boards.providedBy(bundle)) {
                if (m.boardType().equals(board)) {
                    throw new HotSwapException("cannot " + what + " bundle " + bundle.getSymbolicName() + ": machine '"
                            + m.name() + "' runs on its board '" + board + "', and a board is not swapped while it runs"
                            + " (it built the machine's memory map and wiring); shut the machine down first");
                }
            }
        }
    }

    private void refuseIfCpuOrBoardInUse(Bundle bundle, String what) {
        refuseIfBoardInUse(bundle, what);
        for (MachineImpl m : machines) {
            for (String cpu : registries.cpus.providedBy(bundle)) {
                if (m.cpu().isPresent() && m.cpuTypeName().filter(cpu::equals).isPresent()) {
                    throw new HotSwapException("cannot " + what + " bundle " + bundle.getSymbolicName() + ": machine '"
                            + m.name() + "' runs its CPU type '" + cpu + "' (update the bundle instead)");
                }
            }
        }
    }

    /** Keeps a private copy of the jar a bundle now runs from, for a later rollback. */
    private void remember(Bundle bundle, Path jar) {
        try {
            Path copy = Files.createTempFile("machina-bundle-" + bundle.getBundleId() + "-", ".jar");
            Files.copy(jar, copy, StandardCopyOption.REPLACE_EXISTING);
            Path old = contents.put(bundle.getBundleId(), copy);
            if (old != null) {
                Files.deleteIfExists(old);
            }
        } catch (IOException e) {
            contents.remove(bundle.getBundleId());
            LOG.warn("cannot keep a copy of {} for rollback: {}", jar, e.getMessage());
        }
    }

    /**
     * Writes the jar an update installed to {@code $MACHINA_HOME/bundles/<symbolic name>.jar}
     * (atomically), removing other jars of the same symbolic name there, so the next launch runs
     * it too (the launcher lets that folder override the distribution). Returns a note for the
     * bundle's source.
     */
    private String persist(Bundle bundle, Path jar) {
        if (persistDir == null) {
            return " (not persisted: no machina.home)";
        }
        String bsn = bundle.getSymbolicName();
        try {
            Files.createDirectories(persistDir);
            Path target = persistDir.resolve(bsn + ".jar");
            Path temp = Files.createTempFile(persistDir, ".update-", ".tmp");
            Files.copy(jar, temp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            try (var others = Files.list(persistDir)) {
                for (Path p : others.filter(p -> p.toString().endsWith(".jar") && !p.equals(target)).toList()) {
                    if (bsn.equals(symbolicName(p))) {
                        Files.deleteIfExists(p);
                    }
                }
            }
            LOG.info("update of {} persisted to {}", bsn, target);
            return "; persisted to " + target;
        } catch (IOException e) {
            LOG.warn("update of {} is not persisted: {}", bsn, e.getMessage());
            return " (not persisted: " + e.getMessage() + ")";
        }
    }

    private static String symbolicName(Path jar) {
        try (var f = new java.util.jar.JarFile(jar.toFile())) {
            String bsn = f.getManifest() == null ? null : f.getManifest().getMainAttributes().getValue("Bundle-SymbolicName");
            return bsn == null ? null : bsn.split(";")[0].strip();
        } catch (IOException e) {
            return null;
        }
    }

    /** Deletes the private copies (runtime stopping). */
    public void close() {
        for (Path p : contents.values()) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // temp files
            }
        }
        contents.clear();
    }

    /**
     * A copy of the exact bytes the bundle runs now: the private copy of its last run-time update
     * or install, else the launcher's copy taken when it installed the bundle, else (outside the
     * launcher) the bundle's location.
     */
    private Path backup(Bundle bundle) {
        try {
            Path tmp = Files.createTempFile("machina-bundle-backup", ".jar");
            Path current = contents.get(bundle.getBundleId());
            if (current == null && launchJars != null && Files.isRegularFile(launchJars.resolve(bundle.getBundleId() + ".jar"))) {
                current = launchJars.resolve(bundle.getBundleId() + ".jar");
            }
            try (InputStream in = current != null ? Files.newInputStream(current)
                    : URI.create(bundle.getLocation()).toURL().openStream()) {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            return tmp;
        } catch (IOException | IllegalArgumentException e) {
            throw new HotSwapException("cannot keep a copy of bundle " + bundle.getSymbolicName() + " from '"
                    + bundle.getLocation() + "' for rollback: " + e.getMessage(), e);
        }
    }

    private void replace(Bundle bundle, Path jar) {
        try (InputStream in = Files.newInputStream(jar)) {
            bundle.update(in);
        } catch (IOException | BundleException e) {
            throw new HotSwapException("cannot update bundle " + bundle.getSymbolicName() + " from " + jar + ": " + e.getMessage(), e);
        }
        refresh(List.of(bundle));
    }

    private void refresh(Collection<Bundle> bundles) {
        FrameworkWiring wiring = context.getBundle(0).adapt(FrameworkWiring.class);
        CountDownLatch done = new CountDownLatch(1);
        wiring.refreshBundles(bundles, event -> {
            if (event.getType() == FrameworkEvent.PACKAGES_REFRESHED || event.getType() == FrameworkEvent.ERROR) {
                done.countDown();
            }
        });
        try {
            if (!done.await(SERVICE_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                throw new HotSwapException("the framework did not finish refreshing within " + SERVICE_TIMEOUT_MS / 1000 + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HotSwapException("interrupted during refresh");
        }
    }

    @Override
    public synchronized void uninstall(String spec, boolean force) {
        Bundle bundle = resolve(spec);
        if (bundle.getBundleId() == 0 || bundle.getBundleId() == context.getBundle().getBundleId()) {
            throw new HotSwapException("bundle '" + spec + "' is part of the framework or runtime and cannot be uninstalled");
        }
        refuseIfCpuOrBoardInUse(bundle, "uninstall");
        Set<String> types = Set.copyOf(registries.devices.providedBy(bundle));
        List<String> users = new ArrayList<>();
        for (MachineImpl m : machines) {
            for (DeviceInfo d : m.devicesOfTypes(types::contains)) {
                users.add("machine '" + m.name() + "' device '" + d.id() + "' (" + d.type() + ")");
            }
        }
        if (!users.isEmpty() && !force) {
            throw new HotSwapException("bundle " + bundle.getSymbolicName() + " is in use by " + String.join(", ", users)
                    + "; remove those devices first or force the uninstall");
        }
        for (MachineImpl m : machines) {
            for (DeviceInfo d : m.devicesOfTypes(types::contains)) {
                m.removeDevice(d.id());
            }
        }
        try {
            bundle.uninstall();
            updatedFrom.remove(bundle.getBundleId());
            Path copy = contents.remove(bundle.getBundleId());
            if (copy != null) {
                deleteQuietly(copy);
            }
        } catch (BundleException e) {
            throw new HotSwapException("cannot uninstall " + bundle.getSymbolicName() + ": " + e.getMessage(), e);
        }
        refresh(List.of(bundle));
    }
}

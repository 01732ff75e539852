package org.machina.runtime;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.machina.api.block.BlockDriver;
import org.machina.api.board.BoardType;
import org.machina.api.chardev.CharBackendFactory;
import org.machina.api.cpu.CpuType;
import org.machina.api.device.DeviceType;
import org.machina.api.machine.BundleInfo;
import org.machina.api.machine.BundleService;
import org.machina.api.machine.DescriptionException;
import org.machina.api.machine.Machine;
import org.machina.api.machine.MachineService;
import org.machina.api.machine.MachineState;
import org.machina.api.net.NetdevType;
import org.machina.runtime.bundles.BundleOperations;
import org.machina.runtime.description.DescriptionParser;
import org.machina.runtime.machine.MachineAssembler;
import org.machina.runtime.machine.MachineImpl;
import org.machina.runtime.machine.Registries;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runtime as services: {@link MachineService} builds and lists machines, {@link BundleService}
 * installs, updates (with hot-swap) and removes bundles. Board, CPU, device, chardev and block
 * types are tracked from the service registry as they come and go.
 */
@Component(service = {MachineService.class, BundleService.class}, immediate = true)
public final class MachinaRuntime implements MachineService, BundleService {
    private static final Logger LOG = LoggerFactory.getLogger(MachinaRuntime.class);

    private final Registries registries = new Registries();
    private final Map<String, MachineImpl> machines = new ConcurrentHashMap<>();
    private BundleOperations bundles;

    @Activate
    void activate(BundleContext context) {
        bundles = new BundleOperations(context, registries, machines.values());
    }

    @Deactivate
    void deactivate() {
        for (MachineImpl m : machines.values()) {
            m.shutdown("runtime stopped", 0);
            m.dispose();
        }
        machines.clear();
        bundles.close();
    }

    // ---- tracked types ----

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addDeviceType(DeviceType type, ServiceReference<DeviceType> ref) {
        registries.devices.add(type, ref.getBundle());
    }

    void removeDeviceType(DeviceType type) {
        registries.devices.remove(type);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addCpuType(CpuType type, ServiceReference<CpuType> ref) {
        registries.cpus.add(type, ref.getBundle());
    }

    void removeCpuType(CpuType type) {
        registries.cpus.remove(type);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addBoardType(BoardType type, ServiceReference<BoardType> ref) {
        registries.boards.add(type, ref.getBundle());
    }

    void removeBoardType(BoardType type) {
        registries.boards.remove(type);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addCharBackendFactory(CharBackendFactory f, ServiceReference<CharBackendFactory> ref) {
        registries.chardevs.add(f, ref.getBundle());
    }

    void removeCharBackendFactory(CharBackendFactory f) {
        registries.chardevs.remove(f);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addBlockDriver(BlockDriver d, ServiceReference<BlockDriver> ref) {
        registries.blockDrivers.add(d, ref.getBundle());
    }

    void removeBlockDriver(BlockDriver d) {
        registries.blockDrivers.remove(d);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addNetdevType(NetdevType t, ServiceReference<NetdevType> ref) {
        registries.netdevs.add(t, ref.getBundle());
    }

    void removeNetdevType(NetdevType t) {
        registries.netdevs.remove(t);
    }

    // ---- MachineService ----

    @Override
    public Machine create(String name, String descriptionJson) {
        if (!DescriptionParser.ID.matcher(name).matches()) {
            throw new DescriptionException("name", "'" + name + "' is not a valid machine name (a letter, then letters, digits, '-', '_', '.')");
        }
        if (machines.containsKey(name)) {
            throw new DescriptionException("name", "a machine named '" + name + "' already exists");
        }
        MachineImpl m = new MachineAssembler(registries).assemble(name, descriptionJson, Path.of("").toAbsolutePath());
        if (machines.putIfAbsent(name, m) != null) {
            m.shutdown("duplicate name", 1);
            throw new DescriptionException("name", "a machine named '" + name + "' already exists");
        }
        m.addListener((machine, event, data) -> {
            if (event.equals("SHUTDOWN")) {
                Thread.ofVirtual().start(() -> forget(m));
            }
        });
        return m;
    }

    private void forget(MachineImpl m) {
        try {
            m.awaitShutdown(Duration.ofSeconds(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        machines.remove(m.name(), m);
        m.dispose();
        LOG.debug("machine '{}' removed", m.name());
    }

    @Override
    public List<Machine> machines() {
        return new ArrayList<>(machines.values().stream().filter(m -> m.state() != MachineState.SHUT_DOWN).toList());
    }

    @Override
    public Optional<Machine> find(String name) {
        return Optional.ofNullable(machines.get(name));
    }

    @Override
    public Map<String, List<String>> installedTypes() {
        Map<String, List<String>> out = new LinkedHashMap<>();
        out.put("board", registries.boards.names());
        out.put("cpu", registries.cpus.names());
        out.put("device", registries.devices.names());
        out.put("chardev", registries.chardevs.names());
        out.put("block", registries.blockDrivers.names());
        out.put("netdev", registries.netdevs.names());
        return out;
    }

    // ---- BundleService ----

    @Override
    public List<BundleInfo> bundles() {
        return bundles.bundles();
    }

    @Override
    public BundleInfo install(String location) {
        return bundles.install(location);
    }

    @Override
    public BundleInfo update(String bundle, String location) {
        return bundles.update(bundle, location);
    }

    @Override
    public void uninstall(String bundle, boolean force) {
        bundles.uninstall(bundle, force);
    }
}

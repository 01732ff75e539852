package org.machina.runtime.machine;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.machina.api.block.BlockDriver;
import org.machina.api.block.BlockNode;
import org.machina.api.board.Board;
import org.machina.api.board.BoardType;
import org.machina.api.chardev.CharBackendFactory;
import org.machina.api.cpu.Cpu;
import org.machina.api.cpu.CpuType;
import org.machina.api.device.DeviceConfig;
import org.machina.api.device.DeviceType;
import org.machina.api.machine.DescriptionException;
import org.machina.api.net.NetdevType;
import org.machina.runtime.description.Description;
import org.machina.runtime.description.DescriptionParser;
import org.machina.runtime.net.DumpFilter;

/**
 * Builds a {@link MachineImpl} from a description: checks every entry against the installed
 * types (errors name the JSON path and what is installed), then assembles CPU, board and
 * devices on the new machine's thread.
 */
public final class MachineAssembler {
    private final Registries registries;

    public MachineAssembler(Registries registries) {
        this.registries = registries;
    }

    /** A device checked against its type, ready to create. */
    private record Planned(TypeRegistry.Provided<DeviceType> type, DeviceConfig config) {
    }

    public MachineImpl assemble(String name, String json, Path baseDirectory) {
        Description d = new DescriptionParser(baseDirectory).parse(json);
        TypeRegistry.Provided<BoardType> board = registries.boards.require("$.board", d.board().type());
        DeviceConfig boardConfig = ConfigValidator.validate("$.board", board.name(), "board",
                board.service().properties(), d.board().properties());
        TypeRegistry.Provided<CpuType> cpuType = null;
        String model = null;
        if (d.cpu().isPresent()) {
            Description.CpuSpec spec = d.cpu().get();
            String typeName = spec.type().orElse(board.service().defaultCpuType());
            cpuType = registries.cpus.require(spec.path() + ".type", typeName);
            model = spec.model().orElse(board.service().defaultCpuModel());
            // QEMU's -cpu MODEL[,+FEATURE...]: the type checks the features when it creates the CPU
            String baseModel = model.split(",", 2)[0];
            if (!cpuType.service().models().contains(baseModel)) {
                throw new DescriptionException(spec.path() + ".model", "CPU type '" + typeName + "' has no model '" + baseModel
                        + "'; models: " + String.join(", ", cpuType.service().models()));
            }
        }
        checkGlobals(d.globals());
        Map<String, Map<String, String>> globals = d.globals();
        java.util.Set<String> chardevIds = new java.util.HashSet<>();
        d.chardevs().forEach(e -> chardevIds.add(e.id()));
        java.util.Set<String> driveIds = new java.util.HashSet<>();
        d.drives().forEach(e -> driveIds.add(e.id()));
        java.util.Set<String> netdevIds = new java.util.HashSet<>();
        d.netdevs().forEach(e -> netdevIds.add(e.id()));
        List<Planned> devices = new ArrayList<>();
        for (Description.Entry e : d.devices()) {
            devices.add(plan(e.path(), e.type(), e.id(), withGlobals(globals, e.type(), e.properties()), chardevIds,
                    driveIds, netdevIds));
        }
        for (Description.Entry e : d.netdevs()) {
            registries.netdevs.require(e.path() + ".type", e.type());
        }
        for (Description.Entry e : d.chardevs()) {
            registries.chardevs.require(e.path() + ".backend", e.type());
        }
        Map<String, List<DumpFilter.Options>> filters = filters(d, baseDirectory, netdevIds);
        for (Description.Entry e : d.drives()) {
            registries.blockDrivers.require(e.path() + ".format", e.type());
            if (!e.properties().containsKey("file")) {
                throw new DescriptionException(e.path() + ".file", "missing; a drive needs an image file");
            }
        }

        MachineImpl m = new MachineImpl(name, json, board.name(), d.memoryBytes(), d.noReboot());
        m.openMedium = this::openMedium;
        m.hotPlug = (type, id, props) -> {
            Planned p = plan("device '" + id + "'", type, id, withGlobals(globals, type, props), m.chardevIds(),
                    m.driveIds(), m.netdevIds());
            return m.createDevice(p.type(), p.config());
        };
        m.startThread();
        TypeRegistry.Provided<CpuType> cpuFinal = cpuType;
        String modelFinal = model;
        try {
            m.call(() -> {
                build(m, d, baseDirectory, board, boardConfig, cpuFinal, modelFinal, devices, filters);
                return null;
            });
        } catch (RuntimeException e) {
            m.shutdown("assembly failed: " + e.getMessage(), 1);
            m.dispose();
            throw e;
        }
        return m;
    }

    /**
     * Checks {@code -global} defaults: each names an installed device type and properties it has,
     * with values of the property's kind (errors name {@code $.globals.TYPE.PROP}).
     */
    private void checkGlobals(Map<String, Map<String, String>> globals) {
        for (Map.Entry<String, Map<String, String>> g : globals.entrySet()) {
            String path = "$.globals." + g.getKey();
            DeviceType t = registries.devices.require(path, g.getKey()).service();
            ConfigValidator.checkGiven(path, g.getKey(), t.properties(), g.getValue());
        }
    }

    /** A device entry's properties over the {@code -global} defaults for its type. */
    private static Map<String, String> withGlobals(Map<String, Map<String, String>> globals, String type,
            Map<String, String> props) {
        Map<String, String> defaults = globals.get(type);
        if (defaults == null || defaults.isEmpty()) {
            return props;
        }
        Map<String, String> merged = new java.util.LinkedHashMap<>(defaults);
        merged.putAll(props);
        return merged;
    }

    /** The description's netdev filters ({@code -object filter-dump}), checked, by netdev id. */
    /** A new medium for a CD-ROM: {@code file} read-only as {@code format}, or as the format its header shows (raw if none). */
    private BlockNode openMedium(String drive, Path file, String format) throws IOException {
        BlockDriver drv;
        if (format.isEmpty()) {
            byte[] header = new byte[512];
            try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
                in.readNBytes(header, 0, header.length);
            }
            drv = registries.blockDrivers.names().stream().map(n -> registries.blockDrivers.find(n))
                    .flatMap(Optional::stream).map(TypeRegistry.Provided::service).filter(b -> b.probe(header))
                    .findFirst().orElseGet(() -> registries.blockDrivers.require("format", "raw").service());
        } else {
            drv = registries.blockDrivers.find(format).map(TypeRegistry.Provided::service).orElseThrow(() ->
                    new IOException("no block format '" + format + "'; installed: " + registries.blockDrivers.namesOrNone()));
        }
        return drv.open(drive, file, true, Map.of());
    }

    private static Map<String, List<DumpFilter.Options>> filters(Description d, Path base, java.util.Set<String> netdevIds) {
        Map<String, List<DumpFilter.Options>> byNetdev = new HashMap<>();
        for (Description.Entry e : d.filters()) {
            if (!e.type().equals("filter-dump")) {
                throw new DescriptionException(e.path() + ".type", "unknown filter '" + e.type() + "'; filters: filter-dump");
            }
            DumpFilter.Options o;
            try {
                o = DumpFilter.Options.parse(e.id(), e.properties(), base);
            } catch (IllegalArgumentException x) {
                throw new DescriptionException(e.path(), x.getMessage());
            }
            if (!netdevIds.contains(o.netdev())) {
                throw new DescriptionException(e.path() + ".netdev", "no netdev with id '" + o.netdev() + "'; defined: "
                        + (netdevIds.isEmpty() ? "(none)" : String.join(", ", new java.util.TreeSet<>(netdevIds))));
            }
            byNetdev.computeIfAbsent(o.netdev(), k -> new ArrayList<>()).add(o);
        }
        return byNetdev;
    }

    private Planned plan(String path, String type, String id, Map<String, String> props,
            java.util.Set<String> chardevIds, java.util.Set<String> driveIds, java.util.Set<String> netdevIds) {
        TypeRegistry.Provided<DeviceType> t = registries.devices.require(path + ".type", type);
        DeviceConfig config = ConfigValidator.validate(path, type, id, t.service().properties(), props);
        for (org.machina.api.device.PropertySpec spec : t.service().properties()) {
            String ref = config.values().get(spec.name());
            if (ref == null || ref.isEmpty()) {
                continue;
            }
            java.util.Set<String> defined = switch (spec.type()) {
                case CHARDEV -> chardevIds;
                case BLOCKDEV -> driveIds;
                case NETDEV -> netdevIds;
                default -> null;
            };
            if (defined != null && !defined.contains(ref)) {
                throw new DescriptionException(path + "." + spec.name(), "no " + switch (spec.type()) {
                    case CHARDEV -> "chardev";
                    case NETDEV -> "netdev";
                    default -> "drive";
                } + " with id '" + ref + "'; defined: "
                        + (defined.isEmpty() ? "(none)" : String.join(", ", new java.util.TreeSet<>(defined))));
            }
        }
        return new Planned(t, config);
    }

    private void build(MachineImpl m, Description d, Path base, TypeRegistry.Provided<BoardType> board, DeviceConfig boardConfig,
            TypeRegistry.Provided<CpuType> cpuType, String model, List<Planned> devices,
            Map<String, List<DumpFilter.Options>> filters) {
        for (Description.Entry e : d.chardevs()) {
            CharBackendFactory f = registries.chardevs.require(e.path() + ".backend", e.type()).service();
            try {
                m.addChardev(e.id(), f.open(e.id(), e.properties(), m.loop()));
            } catch (IOException | RuntimeException x) {
                throw new DescriptionException(e.path(), "cannot open chardev '" + e.id() + "': " + x.getMessage());
            }
        }
        for (Description.Entry e : d.drives()) {
            BlockDriver drv = registries.blockDrivers.require(e.path() + ".format", e.type()).service();
            Map<String, String> opts = new HashMap<>(e.properties());
            Path file = base.resolve(opts.remove("file"));
            boolean readOnly = Boolean.parseBoolean(opts.remove("readonly"));
            try {
                m.addDrive(e.id(), drv.open(e.id(), file, readOnly, opts));
            } catch (IOException | RuntimeException x) {
                throw new DescriptionException(e.path() + ".file", "cannot open '" + file + "' as " + e.type() + ": " + x.getMessage());
            }
        }
        for (Description.Entry e : d.netdevs()) {
            NetdevType t = registries.netdevs.require(e.path() + ".type", e.type()).service();
            org.machina.api.net.Netdev n;
            try {
                n = t.open(e.id(), e.properties(), m.loop());
            } catch (IOException | RuntimeException x) {
                throw new DescriptionException(e.path(), "cannot open netdev '" + e.id() + "': " + x.getMessage());
            }
            m.addNetdev(e.id(), n); // closed with the machine, also if a filter below fails
            for (DumpFilter.Options f : filters.getOrDefault(e.id(), List.of())) {
                try {
                    n = new DumpFilter(n, f);
                } catch (IOException x) {
                    throw new DescriptionException("filter '" + f.id() + "'", "cannot write '" + f.file() + "': " + x.getMessage());
                }
                m.addNetdev(e.id(), n);
            }
        }
        Cpu cpu = null;
        if (cpuType != null) {
            String accel = d.cpu().map(Description.CpuSpec::accel).orElse("");
            try {
                cpu = cpuType.service().create(new CpuContextImpl(m, accel), model);
            } catch (IllegalArgumentException x) {
                if (model.contains(",")) { // the features or the accelerator: the message says which
                    throw new DescriptionException("$.cpu", "'" + model + (accel.isEmpty() ? "" : "' with accel '" + accel)
                            + "' is not accepted by CPU type '" + cpuType.name() + "': " + x.getMessage());
                }
                throw new DescriptionException("$.cpu.accel", "'" + accel + "' is not accepted by CPU type '"
                        + cpuType.name() + "': " + x.getMessage());
            }
            m.setCpu(cpu, cpuType.name(), model, accel);
        }
        List<Planned> defaults = new ArrayList<>();
        java.util.Set<String> described = new java.util.HashSet<>();
        devices.forEach(p -> described.add(p.config().id()));
        BoardContextImpl ctx = new BoardContextImpl(m, board.name(), d, boardConfig, cpu, (type, id, props) -> {
            if (!described.contains(id)) {
                defaults.add(plan("board '" + board.name() + "' default device '" + id + "'", type, id,
                        withGlobals(d.globals(), type, props), m.chardevIds(), m.driveIds(), m.netdevIds()));
            }
        });
        Board built = board.service().build(ctx);
        m.setBoard(built);
        for (Planned p : defaults) {
            m.createDevice(p.type(), p.config());
        }
        for (Planned p : devices) {
            m.createDevice(p.type(), p.config());
        }
        m.resetNow("power on");
    }
}

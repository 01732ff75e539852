package org.machina.runtime.machine;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.machina.api.block.BlockNode;
import org.machina.api.block.RemovableMedium;

/**
 * The removable-media drives of a machine (CD-ROMs registered by their devices), by drive id,
 * and the monitor's {@code eject} and {@code blockdev-change-medium} on them. Machine thread only.
 * An ejected image stays open and named by its drive id (a hot-swapped device or an NBD export
 * still finds it) until a change replaces it or the machine shuts down.
 */
final class RemovableMedia {
    /** Opens an image file for a new medium: read-only, {@code format} empty to probe it. */
    @FunctionalInterface
    interface Opener {
        BlockNode open(String drive, Path file, String format) throws IOException;
    }

    private record Entry(String deviceId, RemovableMedium medium, List<String> aliases) {
    }

    private final Map<String, Entry> byDrive = new LinkedHashMap<>();

    void register(String drive, String deviceId, RemovableMedium medium, String... aliases) {
        if (byDrive.containsKey(drive)) {
            throw new IllegalStateException("drive '" + drive + "' is already the medium of device '"
                    + byDrive.get(drive).deviceId() + "'");
        }
        byDrive.put(drive, new Entry(deviceId, medium, List.of(aliases)));
    }

    void unregister(String drive, RemovableMedium medium) {
        Entry e = byDrive.get(drive);
        if (e != null && e.medium() == medium) {
            byDrive.remove(drive);
        }
    }

    /** The drive id of {@code id}: a removable drive's id or alias, or the id of the device that has one. */
    String drive(String id) {
        if (byDrive.containsKey(id)) {
            return id;
        }
        for (Map.Entry<String, Entry> e : byDrive.entrySet()) {
            if (e.getValue().deviceId().equals(id) || e.getValue().aliases().contains(id)) {
                return e.getKey();
            }
        }
        throw new IllegalArgumentException("Device '" + id + "' not found or has no removable media; removable drives: "
                + (byDrive.isEmpty() ? "(none)" : String.join(", ", byDrive.entrySet().stream().map(e -> e.getKey() + " (device "
                        + e.getValue().deviceId() + (e.getValue().aliases().isEmpty() ? "" : ", also "
                        + String.join(", ", e.getValue().aliases())) + ")").toList())));
    }

    /** Opens the tray and takes the medium out; refused (the guest told) while locked unless forced. */
    void eject(String id, boolean force) {
        RemovableMedium m = byDrive.get(drive(id)).medium();
        refuseLocked(id, m, force);
        m.eject();
    }

    /**
     * Puts {@code node} in the drive named by {@code id} in place of its medium (refused while
     * locked unless forced), and makes the drive id name it in {@code drives}.
     */
    void change(String id, BlockNode node, boolean force, Map<String, BlockNode> drives) {
        String drive = drive(id);
        RemovableMedium m = byDrive.get(drive).medium();
        refuseLocked(id, m, force);
        m.eject();
        m.insert(node);
        drives.put(drive, node);
    }

    private static void refuseLocked(String id, RemovableMedium m, boolean force) {
        if (m.locked() && !force) {
            m.ejectRequested();
            throw new IllegalStateException("Device '" + id + "' is locked and force was not specified, "
                    + "wait for tray to open and try again");
        }
    }
}

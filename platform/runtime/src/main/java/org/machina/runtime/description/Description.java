package org.machina.runtime.description;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A parsed machine description. Each part remembers its JSON path so that errors found later
 * (an unknown device type, a bad property) still name the place in the file.
 */
public record Description(
        Entry board,
        Optional<CpuSpec> cpu,
        long memoryBytes,
        Optional<Path> firmware,
        Optional<Path> kernel,
        Optional<Path> initrd,
        String append,
        List<Entry> chardevs,
        List<Entry> drives,
        List<Entry> netdevs,
        List<Entry> devices,
        boolean noReboot,
        Map<String, Map<String, String>> globals,
        List<Entry> filters) {

    /**
     * Default property values per device type, QEMU's {@code -global TYPE.PROP=VALUE}: they apply
     * to every device of that type, the board's default devices and hot-plugged ones included,
     * where the device's own entry does not set the property.
     *
     * @return type name to property values (strings)
     */
    @Override
    public Map<String, Map<String, String>> globals() {
        return globals;
    }

    /**
     * A typed entry: a board, a device, a chardev, a drive, a netdev or a netdev filter.
     *
     * @param path JSON path of the entry, e.g. {@code $.devices[2]}
     * @param type the type name (device type, chardev backend kind, drive format, netdev kind, filter kind)
     * @param id the id ({@code null} for the board)
     * @param properties the other keys, values as strings
     */
    public record Entry(String path, String type, String id, Map<String, String> properties) {
    }

    /**
     * The CPU: an architecture type ({@code x86}) and a model, either may be left to the board,
     * and how it executes ({@code accel}, QEMU's {@code -accel} spelling; empty: the CPU's default).
     */
    public record CpuSpec(String path, Optional<String> type, Optional<String> model, String accel) {
        public CpuSpec(String path, Optional<String> type, Optional<String> model) {
            this(path, type, model, "");
        }
    }
}

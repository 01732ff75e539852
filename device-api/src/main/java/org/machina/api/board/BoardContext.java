package org.machina.api.board;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.machina.api.cpu.Cpu;
import org.machina.api.device.DeviceConfig;
import org.machina.api.device.DeviceContext;
import org.osgi.annotation.versioning.ProviderType;

/**
 * What a board gets to build a machine: everything a device gets, plus the CPU, the machine's
 * RAM size, boot files, and the ability to add devices by type name (resolved through the
 * service registry like description entries).
 */
@ProviderType
public interface BoardContext extends DeviceContext {
    /**
     * The machine's CPU. Ask again each time rather than keeping it: a CPU hot-swap replaces the
     * object (the pins a board drives through it, such as A20, are carried over).
     */
    Cpu cpu();

    /** RAM size in bytes from the description. */
    long ramSize();

    /** Validated board properties (the board's own {@link BoardType#properties()}). */
    DeviceConfig boardConfig();

    /** Boot files from the description. */
    Optional<Path> firmware();

    Optional<Path> kernel();

    Optional<Path> initrd();

    String kernelCommandLine();

    /** Whether the description defines a character backend with {@code id} (e.g. {@code serial0}). */
    boolean hasChardev(String id);

    /**
     * Adds a device of {@code type} with {@code id} and properties, as if it were in the
     * description, unless the description already has a device with that id.
     */
    void addDevice(String type, String id, Map<String, String> properties);
}

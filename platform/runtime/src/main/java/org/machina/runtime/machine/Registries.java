package org.machina.runtime.machine;

import org.machina.api.block.BlockDriver;
import org.machina.api.board.BoardType;
import org.machina.api.chardev.CharBackendFactory;
import org.machina.api.cpu.CpuType;
import org.machina.api.device.DeviceType;
import org.machina.api.net.NetdevType;

/** The installed types a machine can be built from, tracked from the service registry. */
public final class Registries {
    public final TypeRegistry<BoardType> boards = new TypeRegistry<>("board type", BoardType::name);
    public final TypeRegistry<CpuType> cpus = new TypeRegistry<>("CPU type", CpuType::name);
    public final TypeRegistry<DeviceType> devices = new TypeRegistry<>("device type", DeviceType::name);
    public final TypeRegistry<CharBackendFactory> chardevs = new TypeRegistry<>("chardev backend", CharBackendFactory::kind);
    public final TypeRegistry<BlockDriver> blockDrivers = new TypeRegistry<>("block format", BlockDriver::format);
    public final TypeRegistry<NetdevType> netdevs = new TypeRegistry<>("netdev kind", NetdevType::kind);

    public Registries() {
        boards.add(new NoneBoard(), null);
    }
}

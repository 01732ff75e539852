package org.machina.runtime.machine;

import org.machina.api.device.Device;
import org.machina.api.device.DeviceConfig;
import org.machina.api.device.DeviceType;
import org.machina.api.machine.DeviceInfo;
import org.machina.api.state.Stateful;

/** One device in a machine: its type (and the bundle behind it), config, instance and context. */
final class DeviceInstance {
    final String typeName;
    final DeviceConfig config;
    TypeRegistry.Provided<DeviceType> type;
    Device device;
    DeviceContextImpl context;

    DeviceInstance(String typeName, DeviceConfig config) {
        this.typeName = typeName;
        this.config = config;
    }

    String id() {
        return config.id();
    }

    int stateVersion() {
        return device instanceof Stateful<?> s ? s.stateVersion() : 0;
    }

    DeviceInfo info() {
        return new DeviceInfo(id(), typeName, type.bundleLabel(), config.values(), stateVersion());
    }
}

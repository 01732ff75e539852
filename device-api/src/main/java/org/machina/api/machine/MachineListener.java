package org.machina.api.machine;

import java.util.Map;
import org.osgi.annotation.versioning.ConsumerType;

/** Receives machine events (QMP names: STOP, RESUME, RESET, SHUTDOWN, POWERDOWN, DEVICE_DELETED, ...). */
@ConsumerType
public interface MachineListener {
    void event(Machine machine, String event, Map<String, Object> data);
}

package org.machina.api.machine;

import java.util.Map;

/**
 * A device instance as listings show it.
 *
 * @param id instance id
 * @param type device type name
 * @param bundle symbolic name and version of the bundle that provides the type
 * @param properties the instance's properties
 * @param stateVersion version of its state record, or 0 for a stateless device
 */
public record DeviceInfo(String id, String type, String bundle, Map<String, String> properties, int stateVersion) {
}

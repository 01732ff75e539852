package org.machina.api.state;

/**
 * A device's state in its neutral, serialized form.
 *
 * @param deviceId the instance id
 * @param type the device type name
 * @param version the state record version
 * @param json the state record as JSON
 */
public record SavedState(String deviceId, String type, int version, String json) {
}

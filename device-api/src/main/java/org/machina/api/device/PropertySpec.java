package org.machina.api.device;

import java.util.List;

/**
 * One configurable property of a device type: its name, type, default and meaning. The runtime
 * checks machine descriptions against these before a device is created, so a device never sees
 * a property it did not declare or a value of the wrong type.
 *
 * @param name property name as written in descriptions and on the command line
 * @param type value type
 * @param defaultValue default as a string, or {@code null} when the property is required
 * @param description one line for {@code -device TYPE,help}
 * @param choices allowed values for {@link Type#ENUM}, empty otherwise
 */
public record PropertySpec(String name, Type type, String defaultValue, String description, List<String> choices) {

    /** Property value types. */
    public enum Type { STRING, INT, BOOL, ENUM, CHARDEV, BLOCKDEV, NETDEV }

    public PropertySpec {
        choices = List.copyOf(choices);
    }

    public static PropertySpec string(String name, String defaultValue, String description) {
        return new PropertySpec(name, Type.STRING, defaultValue, description, List.of());
    }

    public static PropertySpec integer(String name, Long defaultValue, String description) {
        return new PropertySpec(name, Type.INT, defaultValue == null ? null : Long.toString(defaultValue),
                description, List.of());
    }

    public static PropertySpec bool(String name, boolean defaultValue, String description) {
        return new PropertySpec(name, Type.BOOL, Boolean.toString(defaultValue), description, List.of());
    }

    public static PropertySpec oneOf(String name, String defaultValue, String description, String... choices) {
        return new PropertySpec(name, Type.ENUM, defaultValue, description, List.of(choices));
    }

    /** A reference to a character backend by id ({@code chardev=ID}). */
    public static PropertySpec chardev(String name, String description) {
        return new PropertySpec(name, Type.CHARDEV, null, description, List.of());
    }

    /** A reference to a block node by id ({@code drive=ID}). */
    public static PropertySpec blockdev(String name, String description) {
        return new PropertySpec(name, Type.BLOCKDEV, null, description, List.of());
    }

    /** A reference to a network backend by id ({@code netdev=ID}, QEMU's {@code -netdev KIND,id=ID}). */
    public static PropertySpec netdev(String name, String description) {
        return new PropertySpec(name, Type.NETDEV, null, description, List.of());
    }

    public boolean required() {
        return defaultValue == null && type != Type.CHARDEV && type != Type.BLOCKDEV && type != Type.NETDEV;
    }
}

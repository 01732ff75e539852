package org.machina.api.device;

import java.util.List;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A kind of device, published as an OSGi service with the service property
 * {@value #NAME_PROPERTY} equal to {@link #name()}. The runtime resolves description entries
 * such as {@code {"type": "isa-serial"}} against these services.
 */
@ConsumerType
public interface DeviceType {
    /** Service property carrying the type name. */
    String NAME_PROPERTY = "machina.name";

    /** Name used in descriptions and on the command line, e.g. {@code isa-serial}. */
    String name();

    /** One line for listings. */
    String description();

    /** The properties instances accept. */
    List<PropertySpec> properties();

    /**
     * Creates an instance. The device must not map regions or touch the machine until
     * {@link Device#realize()}; the context is valid until {@link Device#unrealize()}.
     */
    Device create(DeviceContext context, DeviceConfig config);
}

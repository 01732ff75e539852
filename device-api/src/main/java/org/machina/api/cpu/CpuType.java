package org.machina.api.cpu;

import java.util.List;
import org.osgi.annotation.versioning.ConsumerType;

/** A CPU architecture implementation, published as a service with {@code machina.name} = {@link #name()}. */
@ConsumerType
public interface CpuType {
    /** Architecture name, e.g. {@code x86}. */
    String name();

    /** Models this type can emulate (e.g. {@code pentium3}, {@code 486}); the first is the default. */
    List<String> models();

    /**
     * Creates one CPU of {@code model}; fails with a message listing {@link #models()} if unknown.
     * The model may be followed by features in QEMU's spelling, {@code MODEL,+FEATURE,-FEATURE}
     * (since 1.4.0): a type refuses, with a message naming them, features it does not know.
     */
    Cpu create(CpuContext context, String model);
}

package org.machina.api.machine;

import java.util.List;

/**
 * An installed bundle as listings show it.
 *
 * @param id framework bundle id
 * @param symbolicName Bundle-SymbolicName
 * @param version Bundle-Version
 * @param state INSTALLED, RESOLVED, ACTIVE, ...
 * @param provides Machina types the bundle provides ({@code device:isa-serial}, ...)
 * @param source the jar the bundle runs from and where it came from (its install location, or
 *        the jar of the update it runs since and where that update was persisted); empty if unknown
 */
public record BundleInfo(long id, String symbolicName, String version, String state, List<String> provides,
                         String source) {
    /** A listing without a source (API 1.0 callers). */
    public BundleInfo(long id, String symbolicName, String version, String state, List<String> provides) {
        this(id, symbolicName, version, state, provides, "");
    }
}

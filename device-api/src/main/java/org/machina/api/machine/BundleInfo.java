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
 */
public record BundleInfo(long id, String symbolicName, String version, String state, List<String> provides) {
}

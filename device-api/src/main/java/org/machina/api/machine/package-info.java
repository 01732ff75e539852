/**
 * Machines as the runtime runs them: descriptions, lifecycle, bundles and hot-swap.
 */
@Version("1.2.0")
@Export
package org.machina.api.machine;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;

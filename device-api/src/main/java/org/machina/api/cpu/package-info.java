/**
 * CPU types, CPU instances and the debug view used by debuggers.
 */
@Version("1.4.0")
@Export
package org.machina.api.cpu;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;

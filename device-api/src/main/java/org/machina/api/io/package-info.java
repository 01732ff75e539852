/**
 * The x86 port I/O space: the same region model over a 16-bit address space.
 */
@Version("1.0.0")
@Export
package org.machina.api.io;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;

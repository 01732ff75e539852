/**
 * Block nodes (disk images) and the drivers that open them.
 */
@Version("1.2.0")
@Export
package org.machina.api.block;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;

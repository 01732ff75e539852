/**
 * Board types: how a board builds a machine from a description.
 */
@Version("1.0.0")
@Export
package org.machina.api.board;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;

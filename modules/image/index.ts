import type { AnyModule } from '../../src/index.js';
import { awsImage } from './aws-image.js';
import { azureImage } from './azure-image.js';
import { azureVm } from './azure-vm.js';
import { vmDeprovision } from './vm-deprovision.js';

/** The golden image pipeline: the VM side (vm_deprovision) and the controller side (az / aws CLIs). */
export const imageModules: AnyModule[] = [vmDeprovision, azureVm, azureImage, awsImage];

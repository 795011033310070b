import type { AnyModule } from '../../src/contract/index.js';
import { awsImage } from './aws_image/aws-image.js';
import { azureImage } from './azure_image/azure-image.js';
import { azureVm } from './azure_vm/azure-vm.js';
import { vmDeprovision } from './vm_deprovision/vm-deprovision.js';

/** The golden image pipeline: the VM side (vm_deprovision) and the controller side (az / aws CLIs). */
export const imageModules: AnyModule[] = [vmDeprovision, azureVm, azureImage, awsImage];

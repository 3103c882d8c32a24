/** Output nvidia-smi prints when it can run but the host has nothing for it to read (stream and `-q -x` alike). */
export const NO_GPU = /No devices were found|couldn't communicate with the NVIDIA driver|NVIDIA-SMI has failed/i;

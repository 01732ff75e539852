; Bare-metal check: real mode -> protected mode -> paging (4 KiB + PSE) -> #PF and #DE through the
; IDT -> ring 3 through IRET with a TSS -> INT 0x80 back to ring 0 with a stack switch.
; Results at 0x6000: pf_addr, pf_err, de_count, user_cs, user_ss, kernel_esp, bl_from_real_mode_int
BITS 16
org 0x7c00
start:
    cli
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7000
    mov word [0x40*4], rm_handler
    mov word [0x40*4+2], 0
    int 0x40
    mov [0x6018], bl
    lgdt [gdtr]
    mov eax, cr0
    or eax, 1
    mov cr0, eax
    jmp 0x08:pm
rm_handler:
    mov bl, 0x11
    iret

BITS 32
%macro GATE 3 ; vector, handler, dpl
    mov eax, %2
    mov word [0x10000 + %1*8], ax
    mov word [0x10000 + %1*8 + 2], 0x08
    mov word [0x10000 + %1*8 + 4], 0x8e00 | (%3 << 13)
    shr eax, 16
    mov word [0x10000 + %1*8 + 6], ax
%endmacro
pm:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov fs, ax
    mov gs, ax
    mov esp, 0x90000
    GATE 0, de_handler, 0
    GATE 14, pf_handler, 0
    GATE 0x80, sys_handler, 3
    lidt [idtr]
    ; identity map 0-4 MiB with user pages
    mov edi, 0x21000
    mov eax, 7
    mov ecx, 1024
.fill:
    mov [edi], eax
    add eax, 0x1000
    add edi, 4
    loop .fill
    mov dword [0x20000], 0x21000 | 7
    mov eax, 0x20000
    mov cr3, eax
    mov eax, cr4
    or eax, 0x10
    mov cr4, eax
    mov eax, cr0
    or eax, 0x80010000
    mov cr0, eax
    ; page fault: 0x500000 is not mapped until the handler maps a 4 MiB page
    mov dword [0x500000], 0xdeadbeef
    mov esi, [0x500000]
    ; divide error, resumed by the handler
    xor ecx, ecx
    div ecx
    ; TSS for the ring 3 -> ring 0 stack switch
    mov dword [0x30004], 0x80000
    mov dword [0x30008], 0x10
    mov word [0x30066], 0x68
    mov ax, 0x28
    ltr ax
    push dword 0x23
    push dword 0x70000
    pushfd
    push dword 0x1b
    push dword user
    iret
user:
    mov eax, 42
    int 0x80
    jmp $

de_handler:
    inc dword [0x6008]
    add dword [esp], 2
    iret
pf_handler:
    push eax
    mov eax, cr2
    mov [0x6000], eax
    mov eax, [esp+4]
    mov [0x6004], eax
    mov dword [0x20004], 0x400000 | 0x87
    invlpg [0x500000]
    pop eax
    add esp, 4
    iret
sys_handler:
    mov bx, 0x10 ; DS was nulled by the IRET to ring 3 (its DPL 0 < CPL 3)
    mov ds, bx
    mov ebx, [esp+4]
    mov [0x600c], ebx
    mov ebx, [esp+16]
    mov [0x6010], ebx
    mov [0x6014], esp
    mov [0x601c], eax
    hlt

align 8
gdt:
    dq 0
    dq 0x00cf9a000000ffff ; 0x08 kernel code
    dq 0x00cf92000000ffff ; 0x10 kernel data
    dq 0x00cffa000000ffff ; 0x18 user code
    dq 0x00cff2000000ffff ; 0x20 user data
    dw 0x67, 0x0000       ; 0x28 TSS at 0x30000
    db 0x03, 0x89, 0x00, 0x00
gdt_end:
gdtr:
    dw gdt_end - gdt - 1
    dd gdt
idtr:
    dw 256*8 - 1
    dd 0x10000

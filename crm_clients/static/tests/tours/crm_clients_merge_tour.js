import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_clients_duplicate_warning_tour", {
    steps: () => [
        {
            content: "Type the name of a client that already exists",
            trigger: ".o_field_widget[name='name'] input, .o_field_widget[name='name'] textarea",
            run: "edit Tourmaline Twin sp. z o.o.",
        },
        {
            content: "Go on to the next field",
            trigger: ".o_field_widget[name='website'] input",
            run: "click",
        },
        {
            content: "The form warns and lists the existing client: open it",
            trigger: ".o_crm_client_duplicates .o_data_row:contains('Tourmaline Twin Sp. z o.o.') td.o_data_cell",
            run: "click",
        },
        {
            content: "The existing client opens",
            trigger: ".modal .o_form_view .o_field_widget[name='client_duplicate_hint'], .modal .o_form_view",
        },
        {
            content: "Close it",
            trigger: ".modal .btn-close",
            run: "click",
        },
        {
            content: "Discard the new client",
            trigger: ".o_form_button_cancel",
            run: "click",
        },
        {
            content: "Back to the clients",
            trigger: ".o_kanban_view, .o_list_view",
        },
    ],
});

registry.category("web_tour.tours").add("crm_clients_merge_choice_tour", {
    steps: () => [
        {
            content: "Select the client to keep",
            trigger: ".o_data_row:contains('Tour Merge Keep') .o_list_record_selector input",
            run: "click",
        },
        {
            content: "Select its duplicate",
            trigger: ".o_data_row:contains('Tour Merge Gone') .o_list_record_selector input",
            run: "click",
        },
        {
            content: "Open the actions",
            trigger: ".o_cp_action_menus .dropdown-toggle",
            run: "click",
        },
        {
            content: "Merge them",
            trigger: ".o-dropdown--menu .o-dropdown-item:contains('Merge Clients')",
            run: "click",
        },
        {
            content: "The name kept is the kept client's",
            trigger:
                ".modal .o_crm_client_merge_values .o_data_row:contains('Name'):contains('Tour Merge Keep (kept)') .o_field_boolean_toggle input:checked",
        },
        {
            content: "Keep the duplicate's phone",
            trigger:
                ".modal .o_crm_client_merge_values .o_data_row:contains('Phone'):contains('Tour Merge Gone') .o_field_boolean_toggle input",
            run: "click",
        },
        {
            content: "The kept client's phone is no longer kept",
            trigger:
                ".modal .o_crm_client_merge_values .o_data_row:contains('Phone'):contains('(kept)') .o_field_boolean_toggle input:not(:checked)",
        },
        {
            content: "Merge",
            trigger: ".modal button[name='action_merge']",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal:not(.o_inactive_modal) .modal-footer button.btn-primary:contains('Ok')",
            run: "click",
        },
        {
            content: "The merged client opens",
            trigger: ".o_form_view .o_breadcrumb:contains('Tour Merge Keep')",
        },
    ],
});

registry.category("web_tour.tours").add("crm_clients_merge_undo_tour", {
    steps: () => [
        {
            content: "Undo the merge from the list of merges",
            trigger: ".o_data_row:contains('Tour Undo Gone') button[name='action_undo']",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal .modal-footer button.btn-primary:contains('Ok')",
            run: "click",
        },
        {
            content: "Done",
            trigger: ".o_notification:contains('The merge was undone')",
        },
    ],
});

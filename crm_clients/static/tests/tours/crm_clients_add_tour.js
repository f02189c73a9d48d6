import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_clients_add_tour", {
    steps: () => [
        {
            content: "No contact yet: no Contacts box",
            trigger: ".o_form_view:not(:has(button[name='action_view_client_contacts']:visible))",
        },
        {
            content: "Open the + Add menu",
            trigger: "button[name='action_client_add']",
            run: "click",
        },
        {
            content: "Add a contact",
            trigger: ".modal button[name='action_add_contact']",
            run: "click",
        },
        {
            content: "Name the contact",
            trigger: ".modal .o_field_widget[name='name'] input, .modal .o_field_widget[name='name'] textarea",
            run: "edit Anna Tourowa",
        },
        {
            content: "Save it",
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            content: "The Contacts box appears after the first contact",
            trigger: "button[name='action_view_client_contacts'] .o_stat_value:contains('1')",
        },
        {
            content: "No activity yet: no Activities box",
            trigger: ".o_form_view:not(:has(button[name='action_view_client_activities']:visible))",
        },
        {
            content: "Open the + Add menu again",
            trigger: "button[name='action_client_add']",
            run: "click",
        },
        {
            content: "Add an activity",
            trigger: ".modal button[name='action_add_activity']",
            run: "click",
        },
        {
            content: "Describe it",
            trigger: ".modal .o_field_widget[name='summary'] input",
            run: "edit Send the offer",
        },
        {
            content: "Schedule it",
            trigger: ".modal button[name='action_schedule_activities']",
            run: "click",
        },
        {
            content: "The Activities box appears after the first activity",
            trigger: "button[name='action_view_client_activities'] .o_stat_value:contains('1')",
        },
    ],
});

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_clients_gus_create_from_nip_tour", {
    steps: () => [
        {
            content: "A company",
            trigger: ".o_field_widget[name='company_type'] input[data-value='company']",
            run: "click",
        },
        {
            content: "Type the NIP",
            trigger: ".o_field_widget[name='vat'] input",
            run: "edit 526-025-10-49 && press Tab",
        },
        {
            content: "GUS offers the company it found",
            trigger: ".o_field_widget[name='gus_offer']:contains('POWSZECHNY ZAKŁAD UBEZPIECZEŃ')",
        },
        {
            content: "Accept the offer",
            trigger: ".o_field_widget[name='gus_fill'] input",
            run: "click",
        },
        {
            content: "The address is filled in",
            trigger: ".o_field_widget[name='street'] input:value('Rondo Ignacego Daszyńskiego 4')",
        },
        {
            content: "Save",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Saved under the registered name",
            trigger: ".o_form_saved",
        },
        {
            content: "The breadcrumb shows the registered name",
            trigger: ".o_breadcrumb .active:contains('POWSZECHNY ZAKŁAD UBEZPIECZEŃ SPÓŁKA AKCYJNA')",
        },
    ],
});
